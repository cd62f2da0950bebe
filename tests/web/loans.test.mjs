// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// A loan handed out and taken back through the UI, its printable agreement showing the device
// and the agreement number and no name, and a name as borrower reference refused (issue 9,
// "Loans", "Loan agreement"; "Browser tests").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventually, loginCookie, mainText, screenshot, settled, visit, withPage } from './support/browser.mjs';
import { schools, users } from './support/env.mjs';
import { kLender } from './support/paktd.mjs';
import { suite } from './support/suite.mjs';

const kBorrower = '7b-03';
const kAgreement = 'LV-2026-0042';
const kAccessories = ['Hülle', 'Ladekabel'];
const kDamage = 'Kratzer auf der Rückseite';

let device;  // an in_storage device of the Viktoria-Gymnasium's 250-iPad delivery
let loanId;
const s = suite('loans', async () => {
    const tranches = await s.admin.tranchesBySchool();
    const tranche = tranches[schools.viktoria].find((t) => t.expected_count === 250);
    const items = await s.admin.all(`/api/v1/devices?tranche_id=${tranche.id}&status=in_storage`);
    device = items[items.length - 1];
});

// The accessible description of a form field (its hint), from aria-describedby.
async function description(locator) {
    return locator.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '').join(' '));
}

function lendForm(page) {
    return page.getByRole('form', { name: 'Gerät ausleihen' });
}

function returnForm(page) {
    return page.getByRole('form', { name: 'Gerät zurücknehmen' });
}

// The device as a USB scanner enters it (serial, Enter); the form looks it up and shows it.
async function scanDevice(form) {
    const field = form.getByRole('textbox', { name: /Gerät/ });
    await field.fill(device.serial_number);
    await field.press('Enter');
    await form.getByText(`Gefunden: ${device.serial_number}`).waitFor();
}

async function openLendForm(page) {
    await visit(page, s.server, '/loans', 'loans');
    await lendForm(page).getByLabel('Ausleih-Kennung').waitFor();
}

async function fillLendForm(page, borrower) {
    const form = lendForm(page);
    await scanDevice(form);
    await form.getByLabel('Ausleih-Kennung').fill(borrower);
    await form.getByLabel(/Leihvertrag/).fill(kAgreement);
    for (const accessory of kAccessories) await form.getByRole('checkbox', { name: accessory }).check();
    await form.getByLabel(/vorhandene Schäden/).fill(kDamage);
}

async function submitLend(page) {
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' &&
        r.url().includes(`/api/v1/devices/${device.serial_number}/loans`));
    await lendForm(page).getByRole('button', { name: 'Gerät ausleihen' }).click();
    return (await answer).status();
}

test('Loan_NameAsBorrowerReferenceIsRefusedInGerman', async () => {
    await withPage(s.browser, s.server, 'loan with a name', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await openLendForm(page);
        const borrower = lendForm(page).getByLabel('Ausleih-Kennung');
        assert.match(await description(borrower), /Namen|Pseudonym/,
            'the page says next to the field that names do not belong there');
        // The due date defaults to the end of the NRW school year (31 July).
        const due = lendForm(page).getByLabel(/Rückgabe bis/);
        assert.equal(await due.inputValue(), '2027-07-31');
        await fillLendForm(page, 'Max Mustermann');
        assert.equal(await submitLend(page), 422);
        const message = await eventually(async () => {
            const t = (await page.getByRole('alert').filter({ hasText: /\S/ }).allInnerTexts()).join(' ');
            assert.match(t, /Ausleih-Kennung.*(Name|Pseudonym)/, `error text: ${t}`);
            return t;
        });
        assert.doesNotMatch(message, /looks like|person's name/i, 'the server\'s English text shows');
        await screenshot(page, s.server, 'loan-name-refused');
    });
    const now = await s.admin.device(device.serial_number);
    assert.equal(now.current_loan, null, 'a loan with a name was created');
    assert.equal(now.status, 'in_storage');
});

test('Loan_HandedOutAndAgreementShowsDeviceAndNumbersButNoName', async () => {
    await withPage(s.browser, s.server, 'loan hand out', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await openLendForm(page);
        await fillLendForm(page, kBorrower);
        assert.equal(await submitLend(page), 201);
        await eventually(async () => assert.match(await mainText(page), new RegExp(device.serial_number)));
        await screenshot(page, s.server, 'loan-handed-out');

        const afterLoan = await s.admin.device(device.serial_number);
        assert.ok(afterLoan.current_loan, 'the device is on loan');
        assert.equal(afterLoan.current_loan.borrower_ref, kBorrower);
        assert.equal(afterLoan.current_loan.agreement_ref, kAgreement);
        assert.equal(afterLoan.current_loan.borrower_kind, 'student');
        assert.equal(afterLoan.current_loan.due_on, '2027-07-31');
        for (const accessory of kAccessories) {
            assert.match(afterLoan.current_loan.accessories ?? '', new RegExp(accessory));
        }
        assert.equal(afterLoan.current_loan.pre_existing_damage, kDamage);
        loanId = afterLoan.current_loan.id;

        // The current loans list shows it.
        await visit(page, s.server, '/loans', 'loans-with-new-loan');
        const row = page.getByRole('table', { name: /Aktuell ausgeliehen/ }).getByRole('row')
            .filter({ hasText: device.serial_number });
        const rowText = await row.innerText();
        assert.match(rowText, new RegExp(kBorrower));
        assert.match(rowText, new RegExp(kAgreement));

        const loan = await s.admin.get(`/api/v1/loans/${loanId}`);
        const h1 = await visit(page, s.server, `/loans/${loanId}/agreement`, 'loan-agreement');
        assert.match(await h1.innerText(), /Leihvertrag/);
        const text = await mainText(page);
        assert.equal(loan.lender, kLender);
        for (const expected of [device.serial_number, device.asset_tag, kAgreement, kBorrower,
            ...kAccessories, kDamage, kLender, '31.07.2027']) {
            assert.ok(text.includes(expected), `the agreement shows ${expected}`);
        }
        assert.match(text, /389,00\s€/, 'the value from the delivery\'s unit price');
        // Names go on paper: empty lines for name, address and signatures, no name filled in. A
        // screen reader reads each as "Leerzeile, von Hand auszufüllen" and its caption.
        const spoken = (await page.getByRole('main').textContent()).replace(/\s+/g, ' ');
        const blank = 'Leerzeile, von Hand auszufüllen';
        for (const caption of [/Name, Vorname/, /Anschrift/, /Entleiherin \/ Entleiher/]) {
            assert.match(spoken, new RegExp(`${blank}\\s*${caption.source}`), `an empty line for ${caption}`);
        }
        assert.ok(spoken.split(blank).length - 1 >= 5, 'empty lines for names, addresses, signatures');
        assert.doesNotMatch(text, /Mustermann/);
        const filled = await page.locator('main input, main textarea, main select').evaluateAll(
            (els) => els.filter((el) => el.value !== '').map((el) => el.outerHTML));
        assert.deepEqual(filled, [], 'form fields with values on the agreement');

        // Printable: on paper the navigation is gone and the agreement stays.
        await page.emulateMedia({ media: 'print' });
        assert.equal(await page.getByRole('navigation', { name: 'Hauptnavigation' }).isVisible(), false);
        assert.equal(await page.getByRole('heading', { level: 1 }).isVisible(), true);
        await screenshot(page, s.server, 'loan-agreement-print');
    });
});

test('Loan_ReturnedThroughTheUi', async () => {
    assert.ok(loanId, 'the loan of the test before exists');
    await withPage(s.browser, s.server, 'loan return', async ({ context, page }) => {
        await loginCookie(context, users.it);
        await visit(page, s.server, '/loans', 'loans');
        const form = returnForm(page);
        await scanDevice(form);
        await form.getByRole('radio', { name: 'in Ordnung' }).check();
        const answer = page.waitForResponse((r) => r.request().method() === 'POST' &&
            r.url().includes(`/api/v1/devices/${device.serial_number}/loans/current/return`));
        await form.getByRole('button', { name: 'Gerät zurücknehmen' }).click();
        assert.equal((await answer).status(), 200);
        await settled(page);
        await screenshot(page, s.server, 'loan-returned');
        // No longer among the current loans.
        await visit(page, s.server, '/loans', 'loans-after-return');
        const current = await page.getByRole('table', { name: /Aktuell ausgeliehen/ }).innerText();
        assert.doesNotMatch(current, new RegExp(device.serial_number));
        // Among the returned ones.
        await page.getByRole('link', { name: 'Zurückgegeben' }).or(page.getByRole('tab', { name: 'Zurückgegeben' }))
            .first().click();
        await eventually(async () => {
            const returned = await page.getByRole('table', { name: /Zurückgegeben/ }).innerText();
            assert.match(returned, new RegExp(device.serial_number));
            assert.match(returned, new RegExp(kAgreement));
        });
        await screenshot(page, s.server, 'loans-returned-list');
    });
    const loan = await s.admin.get(`/api/v1/loans/${loanId}`);
    assert.ok(loan.returned_at, 'the loan is returned');
    assert.equal(loan.return_condition, 'ok');
    assert.equal((await s.admin.device(device.serial_number)).current_loan, null);
});
