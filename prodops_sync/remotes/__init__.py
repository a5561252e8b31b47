"""Remote wiki adapters (Notion, Confluence) behind one small interface."""
