-- Write everything to the working file and empty its WAL, so that a byte copy of it is a whole database.
checkpoint
