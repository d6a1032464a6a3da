"""Watching the model in service: every score served (scoring log), data drift between the
training clients and new applications, and fairness of the decisions by group."""
