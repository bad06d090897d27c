// The search page's check of a dropped, pasted or chosen file before it is sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkFile, firstFile } from "../../wwwroot/js/search/check.js";

const MB = 1024 * 1024;

test("images of the allowed formats within the limit pass", () => {
    for (const type of ["image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp", "image/x-ms-bmp"]) {
        assert.equal(checkFile({ name: "q", type, size: 1000 }, 50 * MB), null, type);
    }
    // No type from the browser: the extension decides.
    assert.equal(checkFile({ name: "q.JPG", type: "", size: 1000 }, 50 * MB), null);
});

test("other types, empty files and oversized files get a message that names the problem", () => {
    assert.match(checkFile({ name: "notes.txt", type: "text/plain", size: 10 }, 50 * MB), /notes\.txt is not an image.*text\/plain/);
    assert.match(checkFile({ name: "vector.svg", type: "image/svg+xml", size: 10 }, 50 * MB), /not an image/);
    assert.match(checkFile({ name: "blob", type: "", size: 10 }, 50 * MB), /unknown type/);
    assert.match(checkFile({ name: "q.png", type: "image/png", size: 0 }, 50 * MB), /empty/);
    assert.equal(checkFile({ name: "big.jpg", type: "image/jpeg", size: 60 * MB }, 50 * MB), "big.jpg is 60 MB, over the 50 MB limit for a query image.");
});

test("the first file of a drop or a paste; none for a text paste", () => {
    const file = { name: "a.png" };
    assert.equal(firstFile({ files: [file], items: [] }), file);
    assert.equal(firstFile({ files: [], items: [{ kind: "string" }, { kind: "file", getAsFile: () => file }] }), file);
    assert.equal(firstFile({ files: [], items: [{ kind: "string" }] }), null);
    assert.equal(firstFile(null), null);
});
