{
  "targets": [
    {
      "target_name": "coffer_gcm",
      "sources": ["native/gcm.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
