#ifndef LAB_STORE_LIVE_H
#define LAB_STORE_LIVE_H

/*
 * A VM's live figures and last heartbeat are its newest raw metric point.
 * The heartbeat writer only appends that point: rewriting the VM's row
 * too cost a fifth of its throughput (one more random page in every
 * commit). The vms columns last_heartbeat and m_* hold a snapshot of the
 * newest point for when no raw point is left: the retention job writes
 * it before it deletes a VM's last raw points (store_retention.c).
 *
 * In SQL over `vms v`: join VM_JOIN_NEWEST_POINT, then read a figure with
 * VM_LIVE("cpu", "m_cpu") (the metrics column, the vms snapshot column).
 */

#define VM_JOIN_NEWEST_POINT                                                   \
	" LEFT JOIN metrics p ON p.rowid = (SELECT rowid FROM metrics"         \
	" WHERE vm_id = v.id ORDER BY ts DESC, rowid DESC LIMIT 1)"

#define VM_LIVE(point_col, vms_col)                                            \
	"CASE WHEN p.rowid IS NULL THEN v." vms_col " ELSE p." point_col " EN" \
	"D"

/* The VM's last heartbeat (epoch seconds, NULL if none) over `vms v`. */
#define VM_LAST_HEARTBEAT                                                      \
	"coalesce((SELECT max(ts) FROM metrics WHERE vm_id = v.id),"           \
	" v.last_heartbeat)"

#endif
