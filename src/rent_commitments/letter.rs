//! The printable letter (förbindelse) as a one-page PDF, written with `pdf-writer` and the
//! standard Helvetica font in WinAnsiEncoding, which covers Swedish (å, ä, ö, é); characters
//! outside it print as `?`. Nothing is embedded, so the file is a few kilobytes.

use chrono::NaiveDate;
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

use super::dto::LetterAddress;
use super::repo::{self, RentCommitmentRow};
use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::cases::service::visible_or_404;
use crate::domain::rent_commitment::RentCommitmentStatus;
use crate::error::ApiError;
use crate::households::repo as households;
use crate::organizations::repo as orgs;
use crate::state::AppState;

/// What the letter says.
#[derive(Debug, Clone)]
pub struct LetterText {
    pub number: String,
    pub issued_on: NaiveDate,
    pub municipality: String,
    pub landlord: String,
    pub tenant_name: String,
    pub apartment_reference: String,
    /// None for a household with protected identity: the letter names the landlord's own
    /// apartment reference, never the address (SPEC §9).
    pub address: Option<LetterAddress>,
    pub amount: i64,
    pub months_covered: i32,
}

/// `text` in WinAnsiEncoding (Latin-1 for the letters Swedish needs); anything else is `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7e | 0xa0..=0xff => c as u8,
            _ => b'?',
        })
        .collect()
}

/// Whole kronor with a space every three digits, as Swedish prints them (`12 500 kr`).
fn kronor(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    format!("{}{out} kr", if amount < 0 { "-" } else { "" })
}

/// The letter as a PDF document.
pub fn render(t: &LetterText) -> Vec<u8> {
    let (catalog, tree, page, font, content_id, info) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );
    let (regular, bold) = (Name(b"F1"), Name(b"F2"));
    let bold_id = Ref::new(7);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    {
        let mut p = pdf.page(page);
        p.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
            .parent(tree)
            .contents(content_id);
        p.resources()
            .fonts()
            .pair(regular, font)
            .pair(bold, bold_id);
    }
    for (id, base) in [(font, &b"Helvetica"[..]), (bold_id, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(&format!("Förbindelse {}", t.number)))
        .producer(TextStr("kvar"));

    let lines: Vec<(bool, String)> = vec![
        (true, "Förbindelse".into()),
        (false, format!("Nr {}", t.number)),
        (false, String::new()),
        (false, format!("Från: {}, socialnämnden", t.municipality)),
        (false, format!("Till: {}", t.landlord)),
        (false, format!("Datum: {}", t.issued_on)),
        (false, String::new()),
        (false, format!("Hyresgäst: {}", t.tenant_name)),
        (
            false,
            format!("Lägenhet: {} (hyresvärdens nummer)", t.apartment_reference),
        ),
        (
            false,
            t.address.as_ref().map_or_else(String::new, |a| {
                format!("Adress: {}, {} {}", a.street, a.postal_code, a.city)
            }),
        ),
        (false, String::new()),
        (
            false,
            format!(
                "Socialnämnden förbinder sig att betala {} avseende hyra för {} månad{},",
                kronor(t.amount),
                t.months_covered,
                if t.months_covered == 1 { "" } else { "er" }
            ),
        ),
        (
            false,
            "så att hyresrätten kan återvinnas (12 kap. 44 § jordabalken).".into(),
        ),
        (false, String::new()),
        (false, "Socialnämnden".into()),
    ];
    let mut c = Content::new();
    c.begin_text();
    c.set_leading(18.0);
    c.next_line(72.0, 770.0);
    for (is_bold, line) in &lines {
        c.set_font(
            if *is_bold { bold } else { regular },
            if *is_bold { 16.0 } else { 11.0 },
        );
        c.show(Str(&win_ansi(line)));
        c.next_line_using_leading();
    }
    c.end_text();
    let stream = c.finish();
    pdf.stream(content_id, &stream);
    pdf.finish()
}

/// `GET /cases/{id}/rent-commitments/{id}/letter`: the approved letter as a PDF (409 before
/// approval). The read is in the access log.
pub async fn pdf(
    state: &AppState,
    who: Authorized<ops::GetRentCommitmentLetter>,
    case_id: String,
    rc_id: String,
) -> Result<Vec<u8>, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let case = visible_or_404(conn, &who, &case_id)?;
            let rc = repo::find_on_case(conn, &case.id, &rc_id)?.ok_or(ApiError::NotFound)?;
            if rc.status != RentCommitmentStatus::Approved {
                return Err(ApiError::conflict(
                    "The letter exists once the rent commitment is approved.",
                ));
            }
            access::granted(
                conn,
                &who,
                who.operation_id(),
                &[Access {
                    subject_type: "rent_commitment",
                    subject_id: &rc.id,
                    case_id: Some(&case.id),
                }],
            )?;
            let municipality = orgs::find_scoped(conn, &rc.organization_id, None)?.name;
            let landlord = orgs::find_scoped(conn, &rc.landlord_organization_id, None)?.name;
            let protected = households::tenancy_protected(conn, &rc.tenancy_id)?;
            let text = text_of(&st, conn, rc, municipality, landlord, protected)?;
            Ok(render(&text))
        })
        .await
}

/// The letter's text from an approved row (its contents were fixed at approval), without the
/// address while the tenancy's household is `protected` (whoever prints or reads the letter: it
/// goes to the landlord).
pub fn text_of(
    st: &AppState,
    conn: &mut crate::db::AnyConnection,
    rc: RentCommitmentRow,
    municipality: String,
    landlord: String,
    protected: bool,
) -> Result<LetterText, ApiError> {
    let missing = || ApiError::Internal(format!("rent commitment {}: letter fields", rc.id));
    let tenant_name = st
        .keyring
        .open(
            conn,
            "rent_commitments",
            "tenant_name",
            &rc.id,
            rc.tenant_name_enc.as_deref().ok_or_else(missing)?,
        )
        .map_err(|e| e.about(format_args!("rent commitment {}", rc.id)))?;
    Ok(LetterText {
        number: rc.number.clone().ok_or_else(missing)?,
        issued_on: rc.issued_on.ok_or_else(missing)?,
        apartment_reference: rc.apartment_ref.clone().ok_or_else(missing)?,
        address: if protected {
            None
        } else {
            Some(LetterAddress {
                street: rc.street.clone().ok_or_else(missing)?,
                postal_code: rc.postal_code.clone().ok_or_else(missing)?,
                city: rc.city.clone().ok_or_else(missing)?,
            })
        },
        municipality,
        landlord,
        tenant_name,
        amount: rc.amount,
        months_covered: rc.months_covered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_letters_are_win_ansi_and_others_a_question_mark() {
        assert_eq!(win_ansi("Gävle åöé"), b"G\xe4vle \xe5\xf6\xe9".to_vec());
        assert_eq!(win_ansi("a€b"), b"a?b".to_vec());
    }

    #[test]
    fn kronor_are_grouped_by_thousands() {
        assert_eq!(kronor(12_500), "12 500 kr");
        assert_eq!(kronor(1_000_000), "1 000 000 kr");
        assert_eq!(kronor(999), "999 kr");
    }

    #[test]
    fn the_letter_is_a_pdf_with_its_number() {
        let pdf = render(&LetterText {
            number: "F-2026-0001".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default(),
            municipality: "Stockholms stad".into(),
            landlord: "Bostäder AB".into(),
            tenant_name: "Åsa Öberg".into(),
            apartment_reference: "1102".into(),
            address: Some(LetterAddress {
                street: "Storgatan 1".into(),
                postal_code: "11122".into(),
                city: "Stockholm".into(),
            }),
            amount: 24_000,
            months_covered: 3,
        });
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(11).any(|w| w == b"F-2026-0001"));
        assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
    }
}
