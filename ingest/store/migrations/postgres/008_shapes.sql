-- Schema version 8: a write block's shapes (formats.Ref's Shape), so that
-- a spec can read a hot key's history as runs of like writes from the
-- index alone (provenance.RunHistory): the block's distinct shapes, then
-- its runs of one shape in order (encodeShapes). NULL when a write of the
-- block has no shape or the shapes vary too much, and in the blocks of an
-- older wat.

ALTER TABLE postings ADD COLUMN shapes bytea;
