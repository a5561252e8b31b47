"""Format modules: pure converters between the document model and each wiki's content."""
