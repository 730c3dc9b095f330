-- Key rotation (issue 14 item 5): the versions of a key that were retired (`kvar keys
-- retire-field-key VERSION`). A retired version is refused as the current key and ignored, with a
-- warning, among the older keys; the row outlives the key.
CREATE TABLE retired_keys (
    kind TEXT NOT NULL CHECK (kind IN ('field', 'blind_index')),
    version INTEGER NOT NULL CHECK (version BETWEEN 1 AND 255),
    retired_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, version)
);
