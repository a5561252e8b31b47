"""prodops-sync: a docs-as-code product-operations playbook, validated in Git and synced
both ways with Notion or Confluence."""

# X.Y.Z on a release (tagged vX.Y.Z, published to PyPI); the next version plus .dev0 between
# releases, so that `prodops-sync init` never pins a version no index has (docs/releasing.md).
__version__ = "0.1.0.dev0"
