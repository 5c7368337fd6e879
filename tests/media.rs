//! The media library over HTTP, on both backends: uploads through the API and the
//! newsroom's form become responsive, metadata-free renditions served for a year; bad
//! files and missing alt text are refused with clear words; a library image featured on
//! an article appears with its srcset, size and credit; the library is searchable.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use common::{PASSWORD, TestSite, add_user, sign_in};
use masthead_core::{Role, TokenScope};
use masthead_testkit::TestDb;
use serde_json::json;

http_tests!(
    an_uploaded_photo_is_served_in_every_width_and_featured_on_a_story,
    bad_uploads_are_refused_with_clear_words,
    the_newsroom_form_uploads_and_the_library_finds_by_words,
);

/// A photo-like JPEG of `w`×`h` (a gradient), made here rather than committed.
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn upload(site: &TestSite, token: &str, query: &str, bytes: Vec<u8>) -> common::Resp {
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/api/v1/media?{query}", site.base))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(bytes)
        .send()
        .await
        .unwrap();
    common::Resp {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

async fn editor(site: &TestSite) -> String {
    let id = add_user(site, "edith@example.org", Role::Editor).await;
    site.token_for(id, TokenScope::Write).await
}

async fn an_uploaded_photo_is_served_in_every_width_and_featured_on_a_story(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let token = editor(&site).await;
    let r = upload(
        &site,
        &token,
        "file_name=quay.jpg&alt=Fishing+boats+at+the+quay&caption=Morning+on+the+quay&credit=Photo%3A+Ana+Ruiz&licence=All+rights+reserved",
        jpeg(2000, 1200),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let image = r.json();
    let id = image["id"].as_i64().unwrap();
    let srcset = image["srcset"].as_str().unwrap();
    for w in [320, 640, 1024, 1600] {
        assert!(srcset.contains(&format!(" {w}w")), "{srcset}");
    }
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(1600), Some(960))
    );
    // Every rendition is served, for a year, with no camera or location data.
    for part in srcset.split(", ") {
        let url = part.split(' ').next().unwrap();
        let res = reqwest::get(format!("{}{url}", site.base)).await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let bytes = res.bytes().await.unwrap();
        assert!(!bytes.windows(4).any(|w| w == b"Exif"));
    }
    assert_eq!(site.get("/media/../../etc/passwd").await.status, 404);
    assert_eq!(site.get("/media/ab/nothing/w640.jpg").await.status, 404);

    // Featured on a story: a <picture> with every width, its size, alt text and credit.
    let r = site
        .send_json(
            "POST",
            "/api/v1/articles",
            &token,
            Some(&json!({"title": "Boats return to the quay", "status": "published", "featured_media": id})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let page = site.page(r.json()["url"].as_str().unwrap()).await;
    assert!(page.contains(&format!(r#"srcset="{srcset}""#)), "{page}");
    assert!(page.contains(r#"width="1600" height="960" alt="Fishing boats at the quay""#));
    assert!(page.contains(r#"<span class="credit">Photo: Ana Ruiz</span>"#));
    let r = site
        .send_json(
            "POST",
            "/api/v1/articles",
            &token,
            Some(&json!({"title": "No such image", "featured_media": 999999})),
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("no image 999999"));
}

async fn bad_uploads_are_refused_with_clear_words(db: TestDb) {
    let site = TestSite::empty(db).await;
    let token = editor(&site).await;
    let html = b"<!DOCTYPE html><html><body>not a photo</body></html>".to_vec();
    let r = upload(&site, &token, "file_name=photo.jpg&alt=x", html).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("photo.jpg is not a JPEG, PNG, GIF or WebP image"),
        "{}",
        r.body
    );
    let r = upload(&site, &token, "file_name=quay.jpg", jpeg(400, 300)).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("alt text"), "{}", r.body);
    let r = upload(
        &site,
        &token,
        "file_name=quay.jpg&alt=Quay&focal_x=140&focal_y=20",
        jpeg(400, 300),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("focal point"), "{}", r.body);
    // Decorative images need no alt text.
    let r = upload(
        &site,
        &token,
        "file_name=rule.jpg&decorative=true",
        jpeg(400, 40),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["alt"], "");
    // A contributor may not upload.
    let c = add_user(&site, "carla@example.org", Role::Contributor).await;
    let ct = site.token_for(c, TokenScope::Write).await;
    assert_eq!(
        upload(&site, &ct, "alt=x", jpeg(100, 100)).await.status,
        403
    );
}

async fn the_newsroom_form_uploads_and_the_library_finds_by_words(db: TestDb) {
    let site = TestSite::empty(db).await;
    let aziz = add_user(&site, "aziz@example.org", Role::Author).await;
    let _ = aziz;
    let cookie = sign_in(&site, "aziz@example.org", PASSWORD).await.unwrap();
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(jpeg(800, 600))
                .file_name("lighthouse.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        )
        .text("alt", "The lighthouse at dusk")
        .text("caption", "Northbridge Point lighthouse")
        .text("credit", "Photo: Tom Lind")
        .text("focal_x", "30")
        .text("focal_y", "40");
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/newsroom/media", site.base))
        .header("Cookie", &cookie)
        .header("Origin", site.origin())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let library = site
        .get_with("/newsroom/media?q=lighthouse+dusk", &[("Cookie", &cookie)])
        .await;
    assert_eq!(library.status, 200);
    assert!(library.body.contains("1 image."), "{}", library.body);
    assert!(library.body.contains("lighthouse.jpg"));
    let none = site
        .get_with("/newsroom/media?q=harbour", &[("Cookie", &cookie)])
        .await;
    assert!(none.body.contains("0 images."));
    // A refused upload keeps what was typed.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"GIF89a junk".to_vec()).file_name("x.gif"),
        )
        .text("alt", "Kept alt text");
    let res = reqwest::Client::new()
        .post(format!("{}/newsroom/media", site.base))
        .header("Cookie", &cookie)
        .header("Origin", site.origin())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains(r#"value="Kept alt text""#)
    );
}
