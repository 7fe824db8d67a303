# nbgrader configuration for the replearn notebooks (TypeScript, tslab kernel).
#
# Copy this file into your nbgrader course directory and the notebooks into source/<assignment>/,
# then `nbgrader generate_assignment <assignment>` and `nbgrader autograde <assignment>` work on them
# as they are (README, "For instructors"). `npm run assignments` and `npm run grade` in this
# project do the same over the same format without nbgrader, with the same stubs
# (src/coursework/nbgrader.ts; a test checks that both say the same).
c = get_config()  # noqa: F821 (nbgrader defines get_config)

# The notebooks' kernelspec language is "typescript": nbgrader needs a stub for it.
c.ClearSolutions.code_stub = {
    "typescript": "// YOUR CODE HERE\nthrow new Error('No answer given');",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# nbgrader's default delimiters; in the notebooks they follow a `//` comment mark.
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Grade with the smallest profile: the checks test the exercises, not how long the models train.
# (nbgrader starts the kernel with this environment; REPLEARN_PROFILE set by you wins.)
import os  # noqa: E402

os.environ.setdefault("REPLEARN_PROFILE", "smoke")
# Seconds per cell while autograding; the smoke profile's longest cell takes well under this.
c.Execute.timeout = 300
