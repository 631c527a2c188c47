"""The platform console of the installation operators (blueprint `platform`)."""
