//! What every `MediaStorage` must do, written once and run against each implementation.

use masthead_media::{MediaKey, MediaStorage};

fn key(s: &str) -> MediaKey {
    MediaKey::parse(s).unwrap()
}

/// Deterministic, incompressible-looking bytes (a 64-bit LCG): a large file whose every
/// byte matters.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect()
}

/// Runs every check on an empty storage. Panics on the first broken promise, naming it.
pub async fn check(storage: &dyn MediaStorage) {
    // Nothing stored: absent, `None`, and deleting it is fine.
    let missing = key("zz/missing/w320.jpg");
    assert!(!storage.exists(&missing).await.unwrap(), "missing: exists");
    assert_eq!(storage.get(&missing).await.unwrap(), None, "missing: get");
    storage.delete(&missing).await.unwrap();

    // Round trip.
    let photo = key("ab/abcdef/w320.jpg");
    let bytes: Vec<u8> = (0..=255).collect();
    storage.put(&photo, bytes.clone()).await.unwrap();
    assert!(storage.exists(&photo).await.unwrap(), "stored: exists");
    assert_eq!(
        storage.get(&photo).await.unwrap(),
        Some(bytes),
        "stored: get"
    );

    // Overwrite: the new content wins, whole.
    storage.put(&photo, b"replaced".to_vec()).await.unwrap();
    assert_eq!(
        storage.get(&photo).await.unwrap().as_deref(),
        Some(&b"replaced"[..]),
        "overwritten: get"
    );

    // The deepest key there can be, a key without a known format, an empty file.
    let nested = key("ab/cd/ef/social-500-500.webp");
    storage.put(&nested, b"nested".to_vec()).await.unwrap();
    let plain = key("notes.txt");
    storage.put(&plain, b"plain".to_vec()).await.unwrap();
    let empty = key("ab/empty.png");
    storage.put(&empty, Vec::new()).await.unwrap();
    assert_eq!(
        storage.get(&nested).await.unwrap(),
        Some(b"nested".to_vec())
    );
    assert_eq!(storage.get(&plain).await.unwrap(), Some(b"plain".to_vec()));
    assert_eq!(
        storage.get(&empty).await.unwrap(),
        Some(Vec::new()),
        "empty file"
    );
    assert!(storage.exists(&empty).await.unwrap(), "empty file: exists");
    // A folder is not a file (in an object store it is only a shared prefix), and a
    // file is not a folder.
    let folder = key("ab/cd");
    assert!(!storage.exists(&folder).await.unwrap(), "folder: exists");
    assert_eq!(storage.get(&folder).await.unwrap(), None, "folder: get");
    storage.delete(&folder).await.unwrap();
    let under_a_file = key("notes.txt/inside");
    assert!(
        !storage.exists(&under_a_file).await.unwrap(),
        "under a file: exists"
    );
    assert_eq!(
        storage.get(&under_a_file).await.unwrap(),
        None,
        "under a file: get"
    );
    storage.delete(&under_a_file).await.unwrap();
    assert!(
        storage.exists(&nested).await.unwrap(),
        "a folder's file survives"
    );
    assert!(storage.exists(&plain).await.unwrap(), "the file survives");

    // A large file (5 MB), byte for byte.
    let big_key = key("ab/big/w1600.png");
    let big = noise(5 * 1024 * 1024, 7);
    storage.put(&big_key, big.clone()).await.unwrap();
    let read = storage.get(&big_key).await.unwrap().unwrap();
    assert_eq!(read.len(), big.len(), "large file: length");
    assert!(read == big, "large file: content differs");

    // Deleting one file leaves the others; deleting twice is fine.
    storage.delete(&photo).await.unwrap();
    assert!(!storage.exists(&photo).await.unwrap(), "deleted: exists");
    assert_eq!(storage.get(&photo).await.unwrap(), None, "deleted: get");
    storage.delete(&photo).await.unwrap();
    assert!(storage.exists(&nested).await.unwrap(), "neighbour survives");
    for k in [&nested, &plain, &empty, &big_key] {
        storage.delete(k).await.unwrap();
        assert!(!storage.exists(k).await.unwrap(), "{k}: deleted");
    }
}
