"""Database router: writes to the primary, opted-in reads to a replica fit to answer (lianxin.core.replicas)."""

from . import replicas


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return replicas.read_alias()

    def db_for_write(self, model, **hints):
        replicas.note_write()
        return replicas.PRIMARY_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data (physical replication): objects read anywhere may relate.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas are read-only copies: the schema reaches them through replication.
        if db.startswith(replicas.REPLICA_PREFIX):
            return False
        return None
