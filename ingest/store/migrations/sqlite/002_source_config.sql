-- Schema version 2: a source remembers its format's configuration (the
-- JSON-lines mapping it was read with), so its lines parse again the same
-- way when events are loaded.

ALTER TABLE sources ADD COLUMN config BLOB;

DROP VIEW event_view;
CREATE VIEW event_view AS
	SELECT e.id, s.path AS file, e.line, e.offset, e.time,
	       wat_event(s.format, s.config, e.raw, 'system') AS system,
	       wat_event(s.format, s.config, e.raw, 'ns') AS ns,
	       wat_event(s.format, s.config, e.raw, 'client') AS client,
	       wat_event(s.format, s.config, e.raw, 'op') AS op,
	       wat_event(s.format, s.config, e.raw, 'args') AS args,
	       wat_event(s.format, s.config, e.raw, 'reply') AS reply,
	       wat_event(s.format, s.config, e.raw, 'service') AS service,
	       wat_event(s.format, s.config, e.raw, 'id') AS req_id,
	       wat_event(s.format, s.config, e.raw, 'parent') AS parent_id,
	       wat_event(s.format, s.config, e.raw, 'trace') AS trace_id,
	       e.raw
	FROM events e JOIN sources s ON s.id = e.source;
