// sevhostd: placeholder until the daemon lands.
print("sevhostd")
