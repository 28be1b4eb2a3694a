"""Where apply keeps its state: the lock, the open journal, and the cache of live ids."""
