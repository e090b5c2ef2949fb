// Which type changes keep every value (and how they are compared), decided from the two types alone.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { conversion } from '../src/engine/plan/conversions.js';

describe('type conversions', () => {
  it('as-is, cast through text, or lossy with the loss named', () => {
    const cases: [string, string, string][] = [
      ['integer', 'bigint', 'as-is'],
      ['bigint', 'integer', 'as-is'], // a value that does not fit fails the load
      ['smallint', 'numeric', 'as-is'],
      ['integer', 'numeric(10,3)', 'cast'],
      ['integer', 'double precision', 'cast'],
      ['bigint', 'double precision', 'lossy: integers beyond 2^53 would be rounded'],
      ['integer', 'real', 'lossy: integers beyond 2^24 would be rounded'],
      ['real', 'double precision', 'cast'],
      ['double precision', 'real', 'lossy: values would be rounded to 6 significant digits'],
      ['double precision', 'numeric', 'cast'],
      ['double precision', 'numeric(20,6)', 'lossy: values would be rounded to 6 decimal places'],
      ['numeric', 'numeric(6,2)', 'lossy: values would be rounded to 2 decimal places'],
      ['numeric(8,4)', 'numeric(8,2)', 'lossy: values would be rounded to 2 decimal places'],
      ['numeric(8,2)', 'numeric(12,4)', 'cast'],
      ['numeric(8,2)', 'numeric(12,2)', 'as-is'],
      ['numeric(8,2)', 'numeric', 'as-is'],
      ['numeric', 'integer', 'lossy: fractions would be rounded'],
      ['numeric(10,0)', 'bigint', 'as-is'],
      ['numeric', 'double precision', 'lossy: values would be rounded to 15 significant digits'],
      ['character varying(20)', 'text', 'as-is'],
      ['text', 'character varying(5)', 'as-is'], // a longer value fails the load
      ['character(5)', 'text', 'cast'], // the padding is dropped, as PostgreSQL's cast does
      ['character(5)', 'character varying(5)', 'cast'],
      ['character(10)', 'character varying(5)', 'lossy: values would be cut to 5 characters'],
      ['character(5)', 'character(3)', 'lossy: values would be cut to 3 characters'],
      ['cidr', 'inet', 'cast'],
      ['inet', 'cidr', 'lossy: an address with host bits set (10.1.2.3/24) is no cidr'],
      ['time without time zone', 'time with time zone', 'cast'],
      ['time with time zone', 'time without time zone', 'lossy: the UTC offset would be dropped'],
      ['time without time zone', 'timestamp without time zone', 'lossy: a time of day has no date to make a timestamp'],
      ['timestamp with time zone', 'time with time zone', 'lossy: the date would be dropped'],
      ['text', 'character(20)', 'lossy: values would be padded to 20 characters, trailing spaces not kept'],
      ['character(5)', 'character(8)', 'cast'],
      ['timestamp with time zone', 'date', 'lossy: the time of day would be dropped'],
      ['timestamp without time zone', 'timestamp with time zone', 'cast'],
      ['timestamp with time zone', 'timestamp without time zone', 'cast'],
      [
        'timestamp(6) without time zone',
        'timestamp(3) without time zone',
        'lossy: fractional seconds would be rounded to 3 digits',
      ],
      ['timestamp(3) with time zone', 'timestamp with time zone', 'as-is'],
      ['date', 'timestamp without time zone', 'cast'],
      ['time without time zone', 'time(0) without time zone', 'lossy: fractional seconds would be rounded to 0 digits'],
      ['boolean', 'boolean', 'as-is'],
      ['interval', 'interval day', 'lossy: values would keep only day'],
      ['interval', 'interval(0)', 'lossy: fractional seconds would be rounded to 0 digits'],
      ['interval day to second', 'interval', 'as-is'],
      ['text', 'name', 'lossy: values would be cut to 63 bytes'],
    ];
    for (const [from, to, expected] of cases) {
      const c = conversion(from, to);
      assert.equal(c.how === 'lossy' ? `lossy: ${c.loss}` : c.how, expected, `${from} → ${to}`);
    }
  });
});
