import assert from "node:assert/strict";
import { test } from "node:test";
import { type BillFields, extractBillFields } from "../../src/tools/ocr/extractBillFields.ts";
import { readDigitableLine } from "../../src/tools/ocr/readDigitableLine.ts";
import { ufOfCep } from "../../src/tools/ocr/ufOfCep.ts";
import { leadAgent } from "../helpers/leadAgent.ts";

// The operator's distributor list, plus the aliases proposed for it in issue #7's report (group
// logos and legal names printed on bills).
const def = leadAgent();
const EXTRA: Record<string, string[]> = {
  Coelba: ["Neoenergia Coelba", "Neoenergia Bahia"],
  "Neoenergia Pernambuco": ["Neoenergia PE"],
  "CPFL Paulista": ["Companhia Paulista de Força e Luz"],
  "Enel SP": ["Enel Distribuição São Paulo"],
  "Enel CE": ["Enel Distribuição Ceará"],
};
const distributors = def.data.distributors.map((d) => ({
  ...d,
  aliases: [...d.aliases, ...(EXTRA[d.name] ?? [])],
}));
const read = (text: string) => extractBillFields(text, distributors);
const values = (f: BillFields) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v?.value]));
const confidences = (f: BillFields) =>
  Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v?.confidence]));

// A "label: value" layout (like the serif/classic pages), with the tax base, the composition and the
// stub that all look like totals.
const LABELLED = `COPEL
Distribuição
Copel Distribuição S.A. - CNPJ 45.165.951/0001-27
Titular Unidade Consumidora (UC): 84417586-4
Daniel de Lima Mendes Nº do Cliente: 61635736
Rua Floriano Peixoto, 854 - Cidade Nova Classificação: B3 Comercial - Bifásico
CEP 87079-727 - Maringá (PR) Emissão: 23/08/2026
CPF: ***.340.189-**
Medidor Leitura anterior Leitura atual Const. Consumo kWh Dias
A333238 64768 67036 1 2.268 29
Descrição do faturamento Quant./Base Tarifa/Alíq. Valor (R$)
Consumo Uso Sistema Distribuição (TUSD) 2.268 kWh 0,365645 829,28
Consumo Energia (TE) 2.268 kWh 0,267710 607,17
Adicional Bandeira Vermelha Patamar 2 2.268 kWh 0,078770 178,65
ICMS (19,50%) Base R$ 1.615,10 19,50% 314,94
PIS/PASEP (1,08%) Base R$ 1.615,10 1,08% 17,44
COFINS (4,23%) Base R$ 1.615,10 4,23% 68,32
Contrib. Custeio Ilum. Pública (CIP) 47,61
TOTAL 2.063,41
Referência: 08/2026 Vencimento: 15/09/2026 Total a pagar R$ 2.063,41
Composição da conta (R$)
Energia 759,10
Tributos 400,70
COPEL - Unidade Consumidora (UC) 84417586-4 - Referência 08/2026 - Vencimento 15/09/2026 - Total R$ 2.063,41
83620000020-3 63410113441-5 75864082631-2 89546347220-2`;

test("a labelled layout: every field, checked against the digitable line, the readings and the items", () => {
  const r = read(LABELLED);
  assert.equal(r.isBill, true);
  assert.deepEqual(values(r.fields), {
    cep: "87079-727",
    state: "PR",
    city: "Maringá",
    address: "Rua Floriano Peixoto, 854 - Cidade Nova",
    customer_name: "Daniel de Lima Mendes",
    distributor: "Copel",
    installation_number: "844175864",
    client_number: "61635736",
    cpf_masked: "***.340.189-**",
    tariff_class: "B3 Comercial",
    reference_month: "2026-08",
    due_date: "2026-09-15",
    amount_due_brl: 2063.41,
    consumption_kwh: 2268,
  });
  const c = confidences(r.fields);
  assert.equal(c.amount_due_brl, "high");
  assert.equal(c.consumption_kwh, "high");
  assert.equal(c.installation_number, "high");
  assert.equal(c.distributor, "high");
  assert.equal(c.cep, "high");
});

test("a row of labels over a row of values maps each label to its column", () => {
  const r = read(`equatorial GOIÁS Equatorial Goiás Distribuidora de Energia S.A.
NOME / ENDEREÇO
RODRIGO HENRIQUE GONÇALVES RIBEIRO
RUA TIRADENTES, 3536 - CENTRO
75070-077 ANÁPOLIS GO
UNIDADE CONSUMIDORA (UC) CONTA CONTRATO CLASSE LIGAÇÃO
95423899 3496694338 B1 RESIDENCIAL BIFÁSICO
REFERÊNCIA VENCIMENTO LEITURA ANTERIOR PRÓXIMA LEITURA
08/2026 18/09/2026 20/07/2026 20/09/2026
Medidor Leitura anterior Leitura atual Const. Consumo kWh Dias
E610429 2150 2618 1 468 32
VENCIMENTO CONSUMO kWh TOTAL A PAGAR
18/09/2026 468 R$ 441,00`);
  assert.deepEqual(values(r.fields), {
    cep: "75070-077",
    state: "GO",
    city: "Anápolis",
    address: "Rua Tiradentes, 3536 - Centro",
    customer_name: "Rodrigo Henrique Gonçalves Ribeiro",
    distributor: "Equatorial Goiás",
    installation_number: "95423899",
    client_number: "3496694338",
    tariff_class: "B1 Residencial",
    reference_month: "2026-08",
    due_date: "2026-09-18",
    amount_due_brl: 441,
    consumption_kwh: 468,
  });
  // One labelled reading of the total and nothing to check it against: not high.
  assert.equal(r.fields.amount_due_brl?.confidence, "medium");
  assert.equal(r.fields.due_date?.confidence, "high");
});

test("tax bases and breakdowns are not the total; the items adding up confirm it", () => {
  const r = read(`Conta de energia elétrica - leitura do medidor - consumo kWh
Descrição do faturamento Quant./Base Valor (R$)
Consumo Energia (TE) 391 kWh 273,19
ICMS (18,00%) Base R$ 280,56 18,00% 50,50
CIP - Ilum. Pública Municipal 19,32
TOTAL 343,01
Composição da conta (R$) Energia 1.131,86`);
  assert.deepEqual(r.fields.amount_due_brl, { value: 343.01, confidence: "high" });
});

test("the digitable line: amount from its barcode digits, trusted only when the check digits hold", () => {
  assert.deepEqual(readDigitableLine("83650000004-4 41000167954-8 23899082636-0 38633250186-8"), {
    digits: "836500000044410001679548238990826360386332501868",
    amountBrl: 441,
    checked: true,
  });
  // One digit misread: the block's check digit fails, so the labelled total wins.
  assert.equal(readDigitableLine("83650000004-4 41000167954-8 23899082636-0 38633250186-9")?.checked, false);
  const r = read(`energia elétrica consumo kWh leitura vencimento
Total a pagar R$ 441,00
83650000009-4 41000167954-8 23899082636-0 38633250186-8`);
  assert.equal(r.fields.amount_due_brl?.value, 441);
});

test("validations lower the confidence: state vs CEP and distributor, due date, consumption for the class", () => {
  const r = read(`Fatura de energia elétrica - Celesc Distribuição S.A.
CLIENTE
Maria Souza
Rua das Flores, 10 - Centro
CEP 01310-100 - Florianópolis/SC
Classe: B1 Residencial
Medidor Leitura anterior Leitura atual Const. Consumo kWh Dias
M1 1000 9000 1 8000 30
Referência: 11/2026 Vencimento: 05/10/2026 Total a pagar R$ 100,00`);
  const c = confidences(r.fields);
  // The CEP is in São Paulo, the address says Santa Catarina.
  assert.equal(r.fields.state?.value, "SC");
  assert.equal(c.cep, "medium");
  assert.equal(c.state, "medium");
  // Due before the reference month ended.
  assert.equal(r.fields.due_date?.value, "2026-10-05");
  assert.equal(c.due_date, "low");
  // 8000 kWh on a residential bill.
  assert.equal(r.fields.consumption_kwh?.value, 8000);
  assert.equal(c.consumption_kwh, "low");
  assert.equal(ufOfCep("01310-100"), "SP");
  assert.equal(ufOfCep("88031-705"), "SC");
});

test("a group logo and shared names are resolved by the bill's state", () => {
  const bahia = read(`neoenergia
COELBA
Conta de energia elétrica - consumo kWh - vencimento
Rua Chile, 20 - Comércio
CEP 40020-000 - Salvador - BA`);
  assert.deepEqual(bahia.fields.distributor, { value: "Coelba", confidence: "high" });
  const sp = read(`enel
São Paulo
Conta de energia elétrica - consumo kWh - vencimento
Rua Augusta, 100 - Consolação
CEP 01305-000 - São Paulo - SP`);
  assert.deepEqual(sp.fields.distributor, { value: "Enel SP", confidence: "high" });
  const para = read(`equatorial
PARÁ
Conta de energia elétrica - consumo kWh - vencimento
CEP 66010-000 - Belém - PA`);
  assert.deepEqual(para.fields.distributor, { value: "Equatorial Pará", confidence: "high" });
  // "energia" is one letter from "Energisa": a common word is not a misread name.
  assert.equal(
    read("Fatura de energia elétrica, consumo kWh, leitura, vencimento").fields.distributor,
    undefined,
  );
});

test("history: a month list, or a row of months over a row of values, oldest first", () => {
  const list = read(`energia consumo kWh leitura vencimento
${["SET/25 399 13,3", "OUT/25 415 13,8", "NOV/25 575 19,2", "DEZ/25 544 18,1", "JAN/26 618 20,6", "FEV/26 549 18,3", "MAR/26 430 14,3", "ABR/26 490 16,3", "MAI/26 389 13,0", "JUN/26 372 12,4", "JUL/26 383 12,8", "AGO/26 468 15,6"].join("\n")}
Medidor Leitura anterior Leitura atual Const. Consumo kWh Dias
E1 2150 2618 1 468 32`);
  assert.deepEqual(list.fields.history_kwh, {
    value: [399, 415, 575, 544, 618, 549, 430, 490, 389, 372, 383, 468],
    confidence: "high",
  });
  assert.equal(list.fields.reference_month?.value, "2026-08");
  const row = read(`energia consumo kWh leitura vencimento
Mês JUL2S AGO/25 SET/25 OUT/25 NOV/25 DEZ/25 JAN/26 FEV/26 MAR/26 ABR/26 MAI/26 JUN/26
kWh 390 418 405 388 325 367 314 337 446 428 490 391`);
  assert.deepEqual(
    row.fields.history_kwh?.value,
    [390, 418, 405, 388, 325, 367, 314, 337, 446, 428, 490, 391],
  );
});

test("OCR misreads of identifiers and masks are repaired", () => {
  const r = read(`Fatura de energia elétrica consumo kWh leitura
Unidade Consumidora (UC): B4417586-4
Nº da Instalação Código do Cliente CPF
7386274067 300725391 ++,519.993-+*`);
  assert.equal(r.fields.cpf_masked?.value, "***.519.993-**");
  assert.equal(r.fields.cpf_masked?.confidence, "medium");
  assert.ok(["844175864", "7386274067"].includes(r.fields.installation_number?.value ?? ""));
  assert.equal(r.fields.installation_number?.confidence, "low");
});

test("text that is not a bill is recognised as such", () => {
  assert.equal(read("Feliz aniversário! Bolo de chocolate às 18h.").isBill, false);
  assert.equal(
    read("SUPERMERCADO BOM PREÇO\nCUPOM FISCAL\nARROZ 27,90\nTOTAL R$ 81,64\nVencimento do cartão 10/2027")
      .isBill,
    false,
  );
});
