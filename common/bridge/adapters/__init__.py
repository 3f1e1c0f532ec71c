"""One adapter per protocol: a device's client, its events as states, its commands (see ``.base``)."""
