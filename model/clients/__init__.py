"""The population seen from a relationship manager's desk: the client directory (filters,
pages, suggestions) and similar clients (neighbours and aggregate summaries of a group)."""
