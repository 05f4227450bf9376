pytest_plugins = ["storelink_kit.testing.pytest_plugin"]
