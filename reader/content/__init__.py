"""The policy pages: files in ``content/pages`` and the structure extracted from them."""
