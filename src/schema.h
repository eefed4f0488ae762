#ifndef LAB_SCHEMA_H
#define LAB_SCHEMA_H

struct db;

/*
 * Applies every numbered migration newer than PRAGMA user_version, each in
 * its own transaction. Never drops user data. Returns STORE_*.
 */
int schema_migrate(struct db *db);
/* The number of the newest migration this build knows. */
int schema_latest(void);

#endif
