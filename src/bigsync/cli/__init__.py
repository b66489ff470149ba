"""The terminal edge: every command line bigsync parses and everything it prints."""
