"""Mail templates, shipped with mailflow as package data (request/, notice/, explain/)."""
