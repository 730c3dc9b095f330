DROP INDEX refresh_tokens_user;
