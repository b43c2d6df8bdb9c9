"""Gold data: agreement between annotators, adjudication, export."""
