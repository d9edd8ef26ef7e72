-- A byte copy of the working file, opened to take out what BI users should not see.
attach $path as snapshot
