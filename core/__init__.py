"""The bottom layer: the rights and scope vocabulary, password policy and Danish formats; imports nothing of the portal."""
