/* wallet-entry: running PROGRAM, either by exec (it becomes this process: same PID, signals
 * go straight to it) or as a supervised child, the way tini does as PID 1. */
#ifndef ENTRY_RUN_H
#define ENTRY_RUN_H

#include "dest.h"

/* execvp(argv[0], argv). Returns only on failure, with the exit status to use: 127 when the
 * program does not exist, 126 otherwise (a one-line message is printed). */
int ent_exec(char **argv);

/* Forks argv as a child and stays as its parent: forwards every signal but SIGCHLD to it,
 * reaps every zombie (also orphans, as a subreaper), and when the child ends removes the
 * files in files and returns the child's exit code, or 128+signal. */
int ent_supervise(char **argv, struct ent_files *files, bool verbose);

#endif
