"""Pages of allowed sites, read by their address: fetched, revalidated, extracted like files."""
