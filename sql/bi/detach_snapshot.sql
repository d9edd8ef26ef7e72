detach snapshot
