"""Contract checks: requests and answers of the stand-ins against the vendors' published
types (see scripts/generate_api_schemas.py and docs/standins.md)."""
