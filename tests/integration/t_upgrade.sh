#!/bin/sh
# t_upgrade.sh - the upgrade procedure of the README: a database written
# by the previous release (tests/fixtures/schema2.db, made by that
# release's own binary) is migrated by `duban init`, which first copies
# it beside itself; every row is still there and the daemon's commands
# work on it; the newest backup.keep copies are kept.  Before `init`,
# every other command refuses the old schema and says to run it.
. "$(dirname "$0")/lib.sh"
setup
cp "$TOP/tests/fixtures/schema2.db" "$T/duban.db"
chmod 0600 "$T/duban.db"
cat >>"$DUBAN_CONFIG" <<CFG
backup = { keep = 2; };
CFG
old() { sqlite3 "$TOP/tests/fixtures/schema2.db" "$1"; }
expect_eq "the fixture is schema 2" "$(old 'PRAGMA user_version')" 2
expect_exit "before init, a command refuses the old schema" 1 "$DUBAN" task list
expect_grep "  and says to run duban init" 'schema 2 is older than this duban.s [0-9]* (run "duban init" to migrate)' "$T/last.err"
check "duban backup works on the old schema (the upgrade's backup step)" "$DUBAN" backup "$T/before-upgrade.db"
expect_eq "  schema 2 in the copy" "$(sqlite3 "$T/before-upgrade.db" 'PRAGMA user_version')" 2

check "duban init migrates it" "$DUBAN" init
now=$("$DUBAN" --version | sed 's/.*schema \([0-9]*\)).*/\1/')
expect_eq "  to this duban's schema" "$(sql 'PRAGMA user_version')" "$now"
expect_grep "  and says where the backup went" "backup before migrating: $T/duban.db.backup-.*-schema2" "$T/last.out"
bak=$(sed -n 's/.*backup before migrating: //p' "$T/last.out")
[ -f "$bak" ] && ok "the backup is beside the database" || notok "no backup at $bak"
expect_eq "  a whole schema-2 database" \
	"$(sqlite3 "$bak" 'PRAGMA user_version; PRAGMA integrity_check')" "$(printf '2\nok')"
expect_eq "  0600" "$(stat -c %a "$bak")" 600
for t in person grp member task assignment message event; do
	expect_eq "every $t row is kept" "$(sql "SELECT count(*) FROM $t")" "$(old "SELECT count(*) FROM $t")"
done
expect_eq "the migrated database passes integrity_check" "$(sql 'PRAGMA integrity_check')" ok
check "task list works on it" "$DUBAN" task list --status done
expect_grep "  T1 is still done, closed when it was" ' T1 .* done .*2008-12-20 10:00' "$T/last.out"
check "a tick works on it" "$DUBAN" tick
check "init again is harmless" "$DUBAN" init
expect_eq "  and takes no backup (nothing to migrate)" "$(ls "$T" | grep -c 'duban.db.backup-')" 1

# The copy of before the upgrade, restored: schema 2 again, and init says so and migrates it.
check "duban restore of the copy taken before the upgrade" "$DUBAN" restore "$T/before-upgrade.db"
expect_grep "  says it must be migrated" 'schema 2 is older than this duban.s [0-9]*: run "duban init"' "$T/last.out"
expect_eq "  the database is schema 2 again" "$(sql 'PRAGMA user_version')" 2
check "  and init migrates it again" "$DUBAN" init
expect_eq "  to this duban's schema" "$(sql 'PRAGMA user_version')" "$now"
# Rotation: three more migrations from the fixture, backup.keep = 2: the
# two kept are the two newest (names sort by time).
made=""
for i in 1 2 3; do
	cp "$TOP/tests/fixtures/schema2.db" "$T/duban.db"
	rm -f "$T/duban.db-wal" "$T/duban.db-shm"
	"$DUBAN" init >"$T/init.out" 2>"$T/last.err" || notok "init $i: $(cat "$T/last.err")"
	made="$made $(sed -n 's/.*backup before migrating: //p' "$T/init.out")"
done
expect_eq "only the newest backup.keep (2) backups are kept" \
	"$(ls "$T"/duban.db.backup-* | tr '\n' ' ')" "$(echo $made | cut -d' ' -f2-3) "
[ ! -e "$bak" ] && ok "  the first one went" || notok "the oldest backup is still there"
exit 0
