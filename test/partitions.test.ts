// Foreign keys and deferrable unique constraints declared on partitions (Pagila declares its payment
// foreign keys on each partition): a partition belongs to its partitioned table for emptying, for
// the load order and for the checks that follow a load in replica mode.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { migrate, planMigration } from '../src/engine/index.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { directions, pair } from './support/pg.js';

const byName = (r: Report, name: string): TableReport => r.tables.find((t) => t.table === name)!;

// Like Pagila: the keys are declared on each partition, none on the partitioned table. "staff" sorts
// after "payment", so only the partitions' foreign keys can put it first.
const SCHEMA = `
  CREATE TABLE customer (customer_id int PRIMARY KEY, name text NOT NULL);
  CREATE TABLE staff (staff_id int PRIMARY KEY, name text NOT NULL);
  CREATE TABLE payment (payment_id int NOT NULL, customer_id int NOT NULL, staff_id int NOT NULL,
    amount numeric(5,2) NOT NULL, payment_date timestamptz NOT NULL, PRIMARY KEY (payment_date, payment_id))
    PARTITION BY RANGE (payment_date);
  CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01 00:00+00') TO ('2022-02-01 00:00+00');
  CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01 00:00+00') TO ('2022-03-01 00:00+00');
  ALTER TABLE payment_p2022_01 ADD CONSTRAINT payment_p2022_01_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer;
  ALTER TABLE payment_p2022_01 ADD CONSTRAINT payment_p2022_01_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff;
  ALTER TABLE payment_p2022_02 ADD CONSTRAINT payment_p2022_02_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer;
  ALTER TABLE payment_p2022_02 ADD CONSTRAINT payment_p2022_02_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff;`;

const ROWS = `
  INSERT INTO customer SELECT g, 'customer ' || g FROM generate_series(1, 20) g;
  INSERT INTO staff SELECT g, 'staff ' || g FROM generate_series(1, 3) g;
  INSERT INTO payment SELECT g, 1 + g % 20, 1 + g % 3, g / 10.0, '2022-01-01 00:00+00'::timestamptz + g * interval '1 day'
    FROM generate_series(1, 50) g;`;

for (const [from, to] of directions()) {
  describe(`keys declared on partitions, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('replace empties and reloads a schema whose foreign keys live on the partitions', async () => {
      const { src, tgt } = await pair(from, to, {
        source: SCHEMA + ROWS,
        target: `${SCHEMA}
        INSERT INTO customer VALUES (500, 'old'); INSERT INTO staff VALUES (600, 'old');
        INSERT INTO payment VALUES (1, 500, 600, 1.00, '2022-02-14 00:00+00')`,
      });
      const { plan } = await planMigration({ source: src.url, target: tgt.url });
      const order = plan.tables.map((t) => t.table);
      assert.deepEqual(
        plan.tables.map((t) => [t.table, t.action, t.reason]),
        order.map((t) => [t, 'copy', null]),
      );
      assert.ok(order.indexOf('staff') < order.indexOf('payment'), `referenced tables load first: ${order}`);
      assert.ok(order.indexOf('customer') < order.indexOf('payment'), `referenced tables load first: ${order}`);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      for (const t of ['customer', 'staff', 'payment'])
        assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t));
    });

    it('a table referenced from a partition of an unselected table is not emptied, naming the partition', async () => {
      const { src, tgt } = await pair(from, to, {
        source: SCHEMA + ROWS,
        target: `${SCHEMA} INSERT INTO customer VALUES (1, 'kept'); INSERT INTO staff VALUES (1, 'kept');
        INSERT INTO payment VALUES (1, 1, 1, 1.00, '2022-01-14 00:00+00')`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['customer', 'staff'] } });
      assert.equal(byName(report, 'customer').status, 'skipped');
      assert.match(
        byName(report, 'customer').reason ?? '',
        /^cannot empty it: public\.payment_p2022_01 \(payment_p2022_01_customer_id_fkey, on a partition of public\.payment\)/,
      );
      assert.deepEqual(await tgt.sql('SELECT name FROM customer'), [{ name: 'kept' }]);
    });

    it("rows that break a partition's foreign key or deferrable unique constraint fail the run", async () => {
      const { src, tgt } = await pair(from, to, {
        source: `${SCHEMA}${ROWS} INSERT INTO payment VALUES (51, 20, 1, 5.00, '2022-01-03 00:00+00')`,
      });
      // The target's customer lacks customer 20; its January partition allows one payment per customer and day.
      await tgt.sql(`${SCHEMA} INSERT INTO customer SELECT g, 'c' FROM generate_series(1, 19) g;
        INSERT INTO staff SELECT g, 's' FROM generate_series(1, 3) g;
        ALTER TABLE payment_p2022_02 ADD CONSTRAINT one_a_day UNIQUE (customer_id, payment_date) DEFERRABLE;`);
      const dangling = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['payment'] } });
      assert.equal(byName(dangling, 'payment').status, 'failed');
      assert.match(
        byName(dangling, 'payment').reason ?? '',
        /row\(s\) reference public\.customer rows that the target does not have \(foreign key payment_p2022_0[12]_customer_id_fkey\)/,
      );
      await src.sql(`DELETE FROM payment WHERE customer_id = 20;
        INSERT INTO payment VALUES (52, 3, 1, 5.00, '2022-02-03 00:00+00'), (53, 3, 2, 6.00, '2022-02-03 00:00+00')`);
      const duplicate = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['payment'] } });
      assert.equal(byName(duplicate, 'payment').status, 'failed');
      assert.match(
        byName(duplicate, 'payment').reason ?? '',
        /duplicate key \(customer_id, payment_date\)=\(3, 2022-02-03 00:00:00\+00\) breaks the deferrable unique constraint one_a_day/,
      );
      assert.equal(await tgt.count('payment'), 0);
    });
  });
}
