#ifndef LAB_HB_WRITER_H
#define LAB_HB_WRITER_H

/*
 * The heartbeat writer: one thread with its own connection that commits
 * the heartbeats of many requests in one transaction (group commit) and
 * wakes each request only after its commit is on disk.
 */

#include <stdbool.h>

#include <jansson.h>

struct hb_writer;

struct heartbeat {
	const char *vm_id; /* borrowed */
	double cpu, mem, disk, disk_used;
	bool has_load1, has_uptime, has_quota;
	double load1, quota;
	long long uptime;
	const char *version; /* borrowed, may be NULL */
};

struct hb_writer *hb_writer_start(const char *db_path);
/* Commits what is queued, then stops the thread and closes. */
void hb_writer_stop(struct hb_writer *w);

/*
 * Queues hb and waits for its commit. Returns STORE_OK with *status the
 * VM's status after it and *actions (a new array) the actions handed out
 * to the agent now (marked sent), or NULL when there are none (the usual
 * case, spared an allocation); STORE_NOTFOUND when there is no such VM;
 * STORE_BUSY when the database could not take it.
 */
int hb_writer_submit(struct hb_writer *w, const struct heartbeat *hb,
                     char *status, size_t status_len, json_t **actions);

#endif
