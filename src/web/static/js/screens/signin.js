// Sign-in: username and password against POST /api/v1/auth/login.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { field, form, say } from "../forms.js";
import { signIn } from "../session.js";

export function renderSignIn(expired, done) {
  const user = field("username", t("username"), { required: true, autocomplete: "username" });
  const pass = field("password", t("password"), { kind: "password", required: true, autocomplete: "current-password" });
  const f = form(null, [user, pass], t("signin"), async (v, _f, status) => {
    say(status, t("signing_in"));
    try {
      await signIn(v.username, v.password);
    } catch (err) {
      pass.input.value = "";
      say(status, err.status === 429 ? t("signin_throttled") : t("signin_failed"), "error");
      pass.input.focus();
      return;
    }
    done();
  }, { class: "signin-form" });
  f.id = "signin";
  return h("main", { id: "main", tabindex: "-1" },
    h("div.signin card", null,
      h("h1", null, t("signin_title")),
      expired ? h("p.notice.warn", { role: "alert" }, t("session_expired")) : null,
      f));
}
