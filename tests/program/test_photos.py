"""Activity photos: only real images, resized, without their hidden metadata, served back."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from havehus.errors import HavehusError
from havehus.program.photos import MAX_BYTES, photo_dir, store_photo
from tests.program.test_planner_views import _new_activity_form
from tests.staff_fixtures import csrf_from, post_form


def _photo_with_gps(size=(3000, 2000), kind="JPEG") -> bytes:
    image = Image.new("RGB", size, (40, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (55.0, 38.0, 30.0)}  # GPS
    buffer = BytesIO()
    image.save(buffer, kind, exif=exif.tobytes())
    return buffer.getvalue()


def test_a_photo_is_resized_and_stripped_of_its_metadata(tmp_path):
    name = store_photo(str(tmp_path), _photo_with_gps())
    with Image.open(photo_dir(str(tmp_path)) / name) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) == 1600
        assert not stored.getexif()
        assert "exif" not in stored.info


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4 not a picture", b"GIF89a" + b"\0" * 20, b""],
    ids=["pdf", "broken-gif", "empty"],
)
def test_a_file_that_is_not_a_photo_is_refused(tmp_path, data):
    with pytest.raises(HavehusError) as caught:
        store_photo(str(tmp_path), data)
    assert "photo" in caught.value.fields
    assert not photo_dir(str(tmp_path)).exists()


def test_a_photo_over_the_limit_is_refused(tmp_path):
    with pytest.raises(HavehusError) as caught:
        store_photo(str(tmp_path), b"\xff" * (MAX_BYTES + 1))
    assert "8 MB" in caught.value.fields["photo"]


def test_a_40_mb_upload_gets_a_message_next_to_the_field(client, signed_in, walk):
    signed_in("manager")
    form = _new_activity_form(csrf_token=csrf_from(client, "/staff/activities/new"))
    form["photo"] = FileStorage(BytesIO(b"\0" * (40 * 1024 * 1024)), "huge.jpg")
    # Encoded in memory: the test client would otherwise spool it to a file it never closes.
    boundary, body = encode_multipart(MultiDict(form))
    response = client.post(
        "/staff/activities/new",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert 'id="photo-error"' in response.get_data(as_text=True)


def test_an_uploaded_photo_is_stored_and_served(client, signed_in, walk, app):
    signed_in("manager")
    form = _new_activity_form()
    form["photo"] = (BytesIO(_photo_with_gps((800, 600), "PNG")), "garden.png")
    assert post_form(client, "/staff/activities/new", **form).status_code == 302
    from sqlalchemy import select

    from havehus.extensions import db
    from havehus.models import Activity

    name = db.session.scalar(select(Activity.photo).where(Activity.slug == "sproghjaelp"))
    served = client.get(f"/photos/{name}")
    served.close()  # a file response holds the file open until it is closed
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert client.get("/photos/../havehus.db").status_code == 404
