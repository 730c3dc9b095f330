-- Ending all of a user's sessions (password, role, unit or status change) revokes its refresh
-- tokens by user.
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
