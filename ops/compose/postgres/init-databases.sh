#!/bin/sh
# PostgreSQL's databases in ops/compose/compose.yaml: a role and a database for each service that
# keeps its state here (UMCA, Keycloak, Phoenix, and Dify's API and plugin daemon). The postgres
# image runs it once, from /docker-entrypoint-initdb.d, while its data directory is new. It may be
# run again: a role that exists gets the password from the environment (a way to change one),
# a database that exists is left as it is.
#
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/init-databases.sh
#
# Environment: UMCA_DB_PASSWORD, KEYCLOAK_DB_PASSWORD, PHOENIX_DB_PASSWORD, DIFY_DB_PASSWORD (each
# required); POSTGRES_USER (default postgres) and libpq's PGHOST, PGPORT, PGPASSWORD to connect.
# Exit 2 names a password that is empty; nothing is changed then.
set -eu

for name in UMCA_DB_PASSWORD KEYCLOAK_DB_PASSWORD PHOENIX_DB_PASSWORD DIFY_DB_PASSWORD; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || { echo "init-databases: $name is empty: set it in ops/compose/.env (sh ops/compose/make-env.sh)" >&2; exit 2; }
done

sql() { psql -v ON_ERROR_STOP=1 --quiet --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres "$@"; }

# Passwords and names go in as psql variables (:'x' quotes a literal, :"x" an identifier), never
# spliced into the SQL text.
make_database() {
  role=$1 password=$2
  shift 2
  sql -v role="$role" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'password';
SQL
  for database in "$@"; do
    sql -v role="$role" -v database="$database" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database')
\gexec
SQL
  done
  echo "init-databases: role $role owns $*" >&2
}

make_database umca "$UMCA_DB_PASSWORD" umca
make_database keycloak "$KEYCLOAK_DB_PASSWORD" keycloak
make_database phoenix "$PHOENIX_DB_PASSWORD" phoenix
make_database dify "$DIFY_DB_PASSWORD" dify dify_plugin
