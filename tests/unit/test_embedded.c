/* test_embedded.c - the schemas' deflated copies, which packages store as
 * they are, inflate to the schemas' bytes with the CRC-32 said. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "embedded.h"

static void test_each_deflated_copy_is_its_file(void **state)
{
	int n = 0;

	(void)state;
	for (const px_embedded *e = px_embedded_files; e->name; e++, n++) {
		unsigned char *out = malloc(e->size + 1);
		z_stream z = {0};

		assert_non_null(out);
		assert_int_equal(inflateInit2(&z, -15), Z_OK);
		z.next_in = (unsigned char *)e->deflated;
		z.avail_in = (uInt)e->deflated_size;
		z.next_out = out;
		z.avail_out = (uInt)e->size + 1;
		assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
		assert_int_equal(z.total_out, e->size);
		assert_int_equal(z.avail_in, 0);
		assert_memory_equal(out, e->data, e->size);
		assert_int_equal(e->crc32, crc32(0, e->data, (uInt)e->size));
		assert_true(e->deflated_size < e->size);
		inflateEnd(&z);
		free(out);
	}
	assert_true(n >= 12); /* every entity's schema at least */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_deflated_copy_is_its_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
