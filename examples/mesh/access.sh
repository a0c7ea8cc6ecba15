#!/usr/bin/env bash
# Who may do what in the demo mesh: the domains and their owner teams, the grants the
# cross-domain inputs need, and the demo accounts (an admin, a member of each team, an outsider
# with no team). Run once, by `make run` (and the browser tests), after the first deploy:
#   examples/mesh/access.sh ATRIUM DATA_DIR
# The passwords are random and written to DATA_DIR/demo-logins.txt (readable by its owner only);
# DEMO_ACCOUNTS_PASSWORD sets one password for every account instead (tests).
set -euo pipefail
atrium=$1
data=$2
run() { "$atrium" --data-dir "$data" "$@" > /dev/null; }

for domain in crm sales supply finance marketing; do
  run domain add "$domain" --owner "team-$domain"
done

# The inputs that read another domain's internal product, and the team whose runs read them.
run grant add sales.orders --to team:team-finance
run grant add crm.customers --to team:team-finance
run grant add supply.part_suppliers --to team:team-finance
run grant add sales.orders --to team:team-marketing
run grant add crm.customers --to team:team-marketing
run grant add sales.line_items --to team:team-supply

logins="$data/demo-logins.txt"
umask 077
: > "$logins.tmp"
printf '%-8s %-26s %s\n' user password who >> "$logins.tmp"
account() {
  local name=$1 who=$2; shift 2
  local password=${DEMO_ACCOUNTS_PASSWORD:-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  printf '%s\n' "$password" | run user add "$name" --password-stdin "$@"
  printf '%-8s %-26s %s\n' "$name" "$password" "$who" >> "$logins.tmp"
}
account admin "platform admin" --admin --display-name "Ada Admin"
account sam "team-sales (owns sales)" --team team-sales --display-name "Sam Sales"
account cora "team-crm (owns crm)" --team team-crm --display-name "Cora CRM"
account sunny "team-supply (owns supply)" --team team-supply --display-name "Sunny Supply"
account fiona "team-finance (owns finance)" --team team-finance --display-name "Fiona Finance"
account mark "team-marketing (owns marketing)" --team team-marketing --display-name "Mark Marketing"
account olga "an outsider, in no team" --display-name "Olga Outsider"
mv "$logins.tmp" "$logins"

# The access story: a request waiting for team-supply, a grant to team-crm expiring within the
# week, and a request of the outsider's that sales denied.
"$atrium" --data-dir "$data" demo-access
