"""The one-click app install: the auth callback's token exchange, and the load, uninstall
and remove_user callbacks' signed payloads.

signed_payload.py  pure: verify `signed_payload_jwt` (HS256 with the client secret only)
install.py         AppInstaller: auth, load, uninstall, remove_user over the connections
"""
