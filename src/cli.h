#ifndef LAB_CLI_H
#define LAB_CLI_H

/*
 * The admin commands, run against the database file (also while the
 * server runs: SQLite's locking makes that safe). Each returns the exit
 * status. argv[0] is the command's first argument after its name.
 */
int cli_token(int argc, char **argv);
int cli_user(int argc, char **argv);
/* `lab-fleet channel add|list|remove` (cli_channel.c). */
int cli_channel(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_migrate(int argc, char **argv);

#endif
