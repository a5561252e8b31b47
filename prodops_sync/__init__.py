"""prodops-sync: a docs-as-code product-operations playbook, validated in Git and synced
both ways with Notion or Confluence."""

__version__ = "0.1.0"
