# nbgrader settings for the lab's TypeScript notebooks (tslab kernel, kernelspec language "typescript").
# Copy into the course's nbgrader folder, or append to its nbgrader_config.py. The notebooks mark solutions
# as nbgrader does (`// BEGIN SOLUTION` ... `// END SOLUTION` in code, `<!-- BEGIN SOLUTION -->` in markdown,
# cell metadata schema version 3); nbgrader only needs to know the stub for this kernel's language.
# `bash scripts/lab.sh handout` writes the same student versions without nbgrader, with one hint per TODO.
c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.ClearSolutions.code_stub = {
    "typescript": "// YOUR CODE HERE\nthrow new Error('not implemented yet');",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
