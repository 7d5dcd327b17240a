"""archgen.spaces: first-party search spaces, registered as entry points like any third-party space."""
