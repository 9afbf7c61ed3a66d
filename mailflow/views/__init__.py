"""Everything that shows a CR or a list to a person, rendered for that person's audience."""
