import assert from "node:assert/strict";
import { test } from "node:test";
import { matchKnownDistributor } from "../../src/agents/extract/brazilianDistributors.ts";
import { gazetteerFor } from "../../src/agents/extract/createGazetteer.ts";
import { detectIntent } from "../../src/agents/extract/detectIntent.ts";
import { extractName, findStatedName } from "../../src/agents/extract/extractName.ts";
import { matchOption } from "../../src/agents/extract/matchOption.ts";
import { municipalities } from "../../src/agents/extract/municipalities.ts";
import { parseMoneyBrl } from "../../src/agents/extract/parseMoneyBrl.ts";
import { parseYesNo } from "../../src/agents/extract/parseYesNo.ts";
import { readAccountHolder } from "../../src/agents/extract/readAccountHolder.ts";
import { readPlace } from "../../src/agents/extract/readPlace.ts";
import { checkAgent } from "../../src/agents/runtime/checkAgent.ts";
import { decideTurn, statesFacts } from "../../src/agents/runtime/decideTurn.ts";
import { type AgentState, initialState } from "../../src/agents/runtime/transition.ts";
import { leadAgent } from "../helpers/leadAgent.ts";

// The degraded mode's understanding (issue #15), rule by rule. Examples are written for these
// tests; none is copied from ../shared/dev.
const g = gazetteerFor([{ name: "Rio de Janeiro", uf: "RJ", aliases: ["Rio"] }]);
const city = (text: string, answering = false) => readPlace(text, g, { answering }).city?.name;

test("IBGE's list: every municipality once, all 27 UFs, 7-digit codes", () => {
  const all = municipalities();
  assert.equal(all.length, 5570);
  assert.equal(new Set(all.map((m) => m.ibge)).size, 5570);
  assert.equal(new Set(all.map((m) => m.uf)).size, 27);
  assert.ok(all.every((m) => /^\d{7}$/.test(m.ibge)));
  assert.deepEqual(
    all.find((m) => m.name === "Xique-Xique"),
    { name: "Xique-Xique", uf: "BA", ibge: "2933604" },
  );
});

test("places: any municipality with a cue, a state or as the answer; typos; state-only phrases", () => {
  assert.equal(city("moro em chapeco"), "Chapecó");
  assert.equal(city("sou de Parnaíba/PI"), "Parnaíba");
  assert.equal(city("Juazeiro do Norte - CE"), "Juazeiro do Norte");
  assert.equal(city("Tenho um mercadinho em Santa Cruz do Sul e queria saber"), "Santa Cruz do Sul");
  assert.equal(city("Marabá", true), "Marabá");
  assert.equal(city("Santarem", true), "Santarém", "no accent");
  assert.equal(city("moro em Florianopolys"), "Florianópolis", "a typo after a strong cue");
  assert.equal(city("Floripa", true), "Florianópolis", "a nickname");
  assert.deepEqual(readPlace("moro no interior de Minas", g), { statedUf: "MG" });
  assert.deepEqual(readPlace("interior de são paulo", g), { statedUf: "SP" });
  assert.equal(city("sao paulo", true), "São Paulo", "the namesake capital alone is the city");
  assert.equal(city("zona rural de Itapetinga"), "Itapetinga");
});

test("places: words that are also municipalities are not read without a sign of a place", () => {
  assert.equal(city("a conta de luz vem alta"), undefined, "Luz (MG)");
  assert.equal(city("Feliz Natal pra vocês!"), undefined, "a greeting, not Feliz Natal (MT)");
  assert.equal(city("Natal"), undefined, "not asked: a bare word");
  assert.equal(city("Natal", true), "Natal", "asked: the answer");
  assert.equal(city("moro em Vitória"), "Vitória");
  assert.equal(city("tenho esperança de economizar"), undefined);
  assert.equal(city("moro em Esperança, PB"), "Esperança");
  assert.equal(city("moro em BH, conta de luz uns 300"), "Belo Horizonte");
});

test("places: namesakes need the state; two cities are not guessed; a landmark is not the place", () => {
  assert.deepEqual(readPlace("Bom Jesus", g, { answering: true }), { sharedName: "Bom Jesus" });
  assert.equal(city("Bom Jesus - RS"), "Bom Jesus");
  assert.equal(readPlace("Bom Jesus - RS", g).city?.uf, "RS");
  assert.equal(readPlace("Bom Jesus", g, { answering: true, knownUf: "PI" }).city?.uf, "PI");
  assert.equal(readPlace("tenho casa em Maceió e outra em Arapiraca", g).conflicting, true);
  assert.equal(city("moro pertinho, perto de Campinas, em Sumaré"), "Sumaré");
  assert.equal(city("Recife, por quê?", true), "Recife", "the first clause answers");
});

test("places: bad input never crashes and never reads a place", () => {
  for (const t of ["", "😀😀", "?", "a".repeat(4000), "1234 5678", "🏠 em 🌞"]) {
    assert.deepEqual(readPlace(t, g, { answering: true }).city, undefined, t.slice(0, 20));
  }
  const long = `${"bla ".repeat(1000)}moro em Petrolina`;
  assert.equal(city(long), undefined, "only the first 4,000 characters are read");
});

test("names: only when the message states one; openers, intents and English are not names", () => {
  assert.equal(findStatedName("Boa tarde, meu nome é Lívia Moura e moro em Caruaru")?.name, "Lívia Moura");
  assert.equal(findStatedName("oi, aqui quem fala é o Sebastião")?.name, "Sebastião");
  assert.equal(findStatedName("pode me chamar de Tati, tá?")?.name, "Tati");
  assert.equal(findStatedName("sou o Caio e tenho uma padaria")?.name, "Caio");
  assert.equal(findStatedName("sou de Caruaru"), undefined);
  assert.equal(findStatedName("sou aposentada e moro sozinha"), undefined);
  assert.equal(extractName("Dona Zilda"), "Zilda", "titles dropped");
  assert.equal(extractName("Seu Benedito"), "Benedito");
  assert.equal(extractName("maria eduarda"), "Maria Eduarda");
  assert.equal(extractName("Joana, de Caruaru"), "Joana", "the first clause");
  for (const full of ["Carla Dias", "Ana Luz", "Fernando Pessoa", "Júlia Costa Campos"])
    assert.equal(extractName(full), full, "surnames that are also words");
  for (const t of [
    "tenho interesse",
    "Vi a propaganda",
    "quero saber mais",
    "gostaria de uma simulação",
    "Good morning",
    "Test message",
    "obrigada",
    "👍",
  ])
    assert.equal(extractName(t), undefined, t);
});

test("money: ranges count as their midpoint; 'X e não Y' is X; dots as decimals", () => {
  assert.equal(parseMoneyBrl("entre 250 e 350"), 300);
  assert.equal(parseMoneyBrl("vem de R$ 700 a R$ 900"), 800);
  assert.equal(parseMoneyBrl("é 520 e não 250"), 520);
  assert.equal(parseMoneyBrl("uns 2,5 mil por mês"), 2500);
  assert.equal(parseMoneyBrl("987.65"), 987.65);
  assert.equal(parseMoneyBrl("1.500"), 1500);
});

test("account holder and consent phrases", () => {
  assert.deepEqual(readAccountHolder("tá no nome da minha esposa"), { holder: false });
  assert.deepEqual(readAccountHolder("é do meu sogro, ele topou"), { holder: false, agrees: true });
  assert.deepEqual(readAccountHolder("não tá no meu nome, ela não quer"), { holder: false, agrees: false });
  assert.deepEqual(readAccountHolder("tá no meu nome sim"), { holder: true });
  assert.deepEqual(readAccountHolder("a conta é da minha casa de praia"), {});
});

test("choices: a denied option is left out; distributors outside the operator's list", () => {
  const options = [
    { id: "residential", title: "Casa", aliases: ["casa"] },
    { id: "commercial", title: "Empresa", aliases: ["empresa", "loja"] },
  ];
  assert.equal(matchOption("não é casa, é loja", options), "commercial");
  assert.equal(matchOption("casa ou empresa?", options), undefined);
  assert.equal(matchKnownDistributor("acho que é a Cosern")?.name, "Cosern");
  assert.equal(matchKnownDistributor("minha conta é da Elektro")?.name, "Elektro");
  assert.equal(matchKnownDistributor("não sei"), undefined);
});

test("abuse goes to a person; a question about fraud does not", () => {
  assert.equal(detectIntent("vcs são uns ladrões, que merda"), "human");
  assert.equal(detectIntent("isso é golpe?"), "question");
});

test("opt-out and person requests in the ways customers write them; a word inside a sentence is not", () => {
  for (const t of [
    "chega de msg",
    "pode parar de mandar",
    "me tira da lista de contatos",
    "descadastra meu número",
  ])
    assert.equal(detectIntent(t), "opt_out", t);
  for (const t of [
    "me transfere pra um atendente",
    "atendimento humano pf",
    "tem alguém aí de verdade?",
    "me liga amanhã",
  ])
    assert.equal(detectIntent(t), "human", t);
  for (const t of ["preciso sair agora", "vou cancelar a outra assinatura", "a ligação nova demora?"])
    assert.notEqual(detectIntent(t), "opt_out", t);
});

test("a company or a thing after an article is not a town; a town after 'de'/'em' is", () => {
  assert.equal(city("vocês da Aurora atendem aqui?"), undefined);
  assert.equal(readPlace("moro em Aurora", g).sharedName, "Aurora", "two states have one: ask");
  assert.equal(city("sou do Crato"), "Crato");
});

test("money: words and scales inside sentences", () => {
  assert.equal(parseMoneyBrl("tenho um bar e a conta vem uns setecentos reais"), 700);
  assert.equal(parseMoneyBrl("minha oficina paga uns 4 mil e pouco de luz"), 4000);
  assert.equal(parseMoneyBrl("são três quartos e uma sala"), undefined);
});

const lead = leadAgent();
const ctx = { cities: lead.data.cities };
const NOW = new Date("2026-03-02T14:00:00Z");
function talk(texts: string[], from: AgentState = initialState(lead)) {
  let state = from;
  let prompts: string[] = [];
  for (const text of texts) {
    const r = decideTurn(lead, state, [{ type: "text", text }], NOW, ctx);
    state = r.state;
    prompts = r.effects.flatMap((e) => (e.type === "reply" ? [e.prompt] : []));
  }
  return { state, prompts };
}

test("the opener is read for what it states, never as the answer to the first question", () => {
  const r = talk(["Boa noite, tenho interesse"]);
  assert.equal(r.state.slots.name, undefined);
  assert.deepEqual(r.prompts, ["lead.ask_name"]);
  const facts = talk(["Oi, aqui é a Débora, moro em Arapongas"]);
  assert.equal(facts.state.slots.name, "Débora");
  assert.equal(facts.state.slots.distributor, "Copel");
});

test("a question put again after something else reads as a follow-up, not the greeting", () => {
  const r = talk(["Oi", "sou de Maringá"]);
  assert.equal(r.state.slots.city, "Maringá");
  assert.deepEqual(r.prompts, ["lead.ask_name_followup"]);
  const miss = talk(["Oi", "hmm"]);
  assert.deepEqual(miss.prompts, ["lead.ask_name_again"]);
});

test("a namesake city asks the state, which then decides the distributor", () => {
  const r = talk(["Oi", "Lúcio", "Santa Luzia"]);
  assert.equal(r.state.slots.city, "Santa Luzia");
  assert.equal(r.state.slots.state, undefined);
  assert.deepEqual(r.prompts, ["lead.ask_state"]);
  const told = talk(["Bahia"], r.state);
  assert.equal(told.state.slots.state, "BA");
  assert.equal(told.state.slots.distributor, "Coelba");
});

test("a city correction moves the state it brought, even one typed with the first city", () => {
  const r = talk(["Oi", "Lúcio", "Caruaru - PE", "errei, moro em Niterói"]);
  assert.equal(r.state.slots.state, "RJ");
  assert.equal(r.state.slots.distributor, "Enel RJ");
});

test("an opening question that states facts starts the qualification; a plain one does not", () => {
  assert.equal(statesFacts(lead, "Tenho uma padaria em Caruaru, vcs atendem?", NOW, ctx), true);
  assert.equal(statesFacts(lead, "como funciona a assinatura?", NOW, ctx), false);
});

test("a place we cannot find gets a specific question, not a missed answer", () => {
  assert.equal(readPlace("sou de Shangrilá", g).unplaced, true);
  assert.equal(readPlace("moro em casa própria", g).unplaced, undefined, "no capital: not a place name");
  const r = talk(["Oi", "moro em Macondo"]);
  assert.deepEqual(r.prompts, ["lead.ask_city_again"]);
  assert.equal(r.state.misses, 0);
});

test("a refused instruction changes no slot; an option inside a question is not a fact", () => {
  const asked = talk(["Oi", "Wilson", "Maringá"]);
  const refused = decideTurn(
    lead,
    asked.state,
    [{ type: "text", text: "registre minha conta como 60 reais", answer: { kind: "refuse" } }],
    NOW,
    ctx,
  );
  assert.equal(refused.state.slots.monthly_bill_brl, undefined);
  const question = talk(["funciona pra empresa também?"], asked.state);
  assert.equal(question.state.slots.customer_type, undefined);
  const fact = talk(["tenho uma loja, vem uns 900"], asked.state);
  assert.equal(fact.state.slots.customer_type, "commercial");
});

test("the Federal District is Brasília; more ways to give a name, to correct and to say it is mine", () => {
  assert.equal(city("moro no Guará, DF"), "Brasília");
  assert.equal(extractName("prazer, Heitor"), "Heitor");
  assert.equal(findStatedName("pode chamar de Tião")?.name, "Tião");
  const corrected = talk(["Oi", "Élcio", "Londrina", "320", "na real é 420"]);
  assert.equal(corrected.state.slots.monthly_bill_brl, 420);
  const optedOut = talk(["Oi", "Élcio", "parar"]);
  assert.equal(optedOut.state.state, "opted_out");
  assert.deepEqual(talk(["tudo bem então, tchau"], optedOut.state).prompts, [], "an acknowledgement");
});

test("in a first burst only the very first message is an opener", () => {
  const r = decideTurn(
    lead,
    initialState(lead),
    [
      { type: "text", text: "Oi" },
      { type: "text", text: "Ivone Saraiva" },
    ],
    NOW,
    ctx,
  );
  assert.equal(r.state.slots.name, "Ivone Saraiva");
  const alone = decideTurn(lead, initialState(lead), [{ type: "text", text: "Ivone Saraiva" }], NOW, ctx);
  assert.equal(alone.state.slots.name, undefined, "an unprompted first message is not an answer");
});

test("neighbourhoods, streets and parts of a capital resolve to what they state", () => {
  assert.equal(
    city("moro no bairro Boa Viagem, em Recife"),
    "Recife",
    "Boa Viagem (CE) is a neighbourhood here",
  );
  assert.equal(city("fico na rua Paraná, em Olinda"), "Olinda", "a street named after a state");
  assert.equal(city("moro na zona leste de SP"), "São Paulo");
  assert.equal(city("Moro em Copacabana, no Rio"), "Rio de Janeiro");
});

test("short forms and typos in answers: the longest name that fits", () => {
  assert.equal(city("S. José do Rio Pardo", true), "São José do Rio Pardo");
  assert.equal(city("Pres. Epitácio", true), "Presidente Epitácio");
  assert.equal(city("campos dos goitacazes", true), "Campos dos Goytacazes");
  assert.equal(city("vitoria da conquist", true), "Vitória da Conquista", "not Vitória (ES)");
  assert.equal(city("moro pertinho de Niterói"), undefined, "a landmark");
});

test("names: lead-ins, hyphens, apostrophes; a well-known place after 'de' is where the customer is from", () => {
  assert.equal(extractName("sou tereza"), "Tereza");
  assert.equal(extractName("Meu nome: Odete"), "Odete");
  assert.equal(extractName("Lia moro em Olinda"), "Lia", "the sentence goes on after the name");
  assert.equal(extractName("Maria-Luísa"), "Maria-Luísa");
  assert.equal(extractName("joana d'arc"), "Joana D'Arc");
  assert.equal(extractName("a loja é minha"), undefined);
  const from = talk(["Oi", "Téo de Curitiba"]);
  assert.equal(from.state.slots.name, "Téo");
  assert.equal(from.state.slots.city, "Curitiba");
  assert.equal(
    talk(["Oi", "Maria de Fátima"]).state.slots.name,
    "Maria de Fátima",
    "a name, not Fátima (BA)",
  );
});

test("a consumption in kWh is not the bill; it fills the consumption", () => {
  assert.equal(parseMoneyBrl("uns 350 kWh"), undefined);
  assert.equal(parseMoneyBrl("gasto 350 kwh e pago 290 reais"), 290);
  const r = talk(["Oi", "Iara", "Recife", "uns 1.350 kWh por mês"]);
  assert.equal(r.state.slots.consumption_kwh, 1350);
  assert.equal(r.state.slots.monthly_bill_brl, undefined);
});

test("operator data: a distributor_by_city key must be a municipality's official name", () => {
  const wrong = {
    ...lead,
    data: { ...lead.data, distributor_by_city: { "Sao Paulo": "Enel SP", Niterói: "Enel RJ" } },
  };
  assert.deepEqual(
    checkAgent(wrong, new Set()).filter((p) => p.startsWith("data.")),
    ["data.distributor_by_city.Sao Paulo: not a municipality's official name (IBGE spelling, with accents)"],
  );
});

test("precedence: a value read from the bill is not overwritten by a correction typed later", () => {
  const asked = talk(["Oi", "Otília"]);
  const withBill = decideTurn(
    lead,
    asked.state,
    [
      {
        type: "image",
        text: null,
        media: {
          kind: "bill",
          isBill: true,
          fields: {
            amount_due_brl: { value: 512.3, confidence: "high" },
            distributor: { value: "Copel", confidence: "high" },
          },
          problems: [],
        },
      },
    ],
    NOW,
    ctx,
  );
  assert.equal(withBill.state.slots.monthly_bill_brl, 512.3);
  const typed = talk(["na verdade a conta é 200 reais"], withBill.state);
  assert.equal(typed.state.slots.monthly_bill_brl, 512.3);
});

test("distributor groups: the state's member of the group, else the group as said; repeating a known fact is not a miss", () => {
  const bahia = talk(["Oi", "Rui", "Vitória da Conquista", "minha conta é da Neoenergia"]);
  assert.equal(bahia.state.slots.distributor, "Coelba");
  assert.equal(bahia.state.misses, 0);
  assert.ok(!bahia.state.inferred.includes("distributor"), "now stated by the customer");
  const piaui = talk(["Oi", "Rui", "Parnaíba, PI", "Equatorial"]);
  assert.equal(piaui.state.slots.distributor, "Equatorial");
  assert.equal(piaui.state.state, "not_covered");
  const restated = talk(["é a Equatorial mesmo"], piaui.state);
  assert.deepEqual(restated.prompts, ["lead.not_covered_idle"], "never silence");
  const again = talk(["Oi", "Rui", "moro em Vila Velha", "ES"]);
  assert.equal(again.state.misses, 0);
});

test("names: roles are not names; a title names the speaker only where her words begin", () => {
  for (const t of ["sou o dono da padaria", "sou a titular da conta", "sou o responsável pelo imóvel"])
    assert.equal(findStatedName(t), undefined, t);
  assert.equal(findStatedName("sou a filha da dona Zuleide"), undefined, "the mother, not the speaker");
  assert.equal(findStatedName("Oi, aqui é a Dona Olga")?.name, "Olga");
  assert.equal(findStatedName("bom dia, Seu Dirceu falando")?.name, "Dirceu");
});

test("names: interjections are not names; a surname that is also one still is", () => {
  for (const t of ["Hein?", "Uai", "Vixe", "Nossa", "Ata", "Eita"])
    assert.equal(extractName(t), undefined, t);
  assert.equal(extractName("Felipe Massa"), "Felipe Massa");
});

test("'a capital' with a state said or known is that state's capital", () => {
  assert.equal(city("moro na capital do Ceará"), "Fortaleza");
  assert.equal(readPlace("é na capital mesmo", g, { answering: true, knownUf: "PA" }).city?.name, "Belém");
  assert.equal(city("moro na capital"), undefined, "no state: nothing to go on");
});

test("choices: a diminutive names its option ('casinha', 'lojinha', 'sitiozinho')", () => {
  const options = [
    { id: "residential", title: "Casa", aliases: ["casa"] },
    { id: "commercial", title: "Empresa", aliases: ["loja"] },
    { id: "rural", title: "Rural", aliases: ["sitio"] },
  ];
  assert.equal(matchOption("é uma casinha", options), "residential");
  assert.equal(matchOption("minha lojinha de roupa", options), "commercial");
  assert.equal(matchOption("um sitiozinho", options), "rural");
  assert.equal(matchOption("é pequenininha", options), undefined);
});

test("yes/no: a thumbs-up or a check mark alone is yes, a thumbs-down or a cross is no", () => {
  assert.equal(parseYesNo("👍"), true);
  assert.equal(parseYesNo("👍🏽"), true);
  assert.equal(parseYesNo("✅"), true);
  assert.equal(parseYesNo("👎"), false);
  assert.equal(parseYesNo("🤷‍♂️"), undefined);
  const holder = talk(["Oi", "Dalva", "Contagem", "R$ 500", "casa", "👍"]);
  assert.equal(holder.state.slots.is_account_holder, true);
});

test("names: in a message with capitals, 'aqui é o'/'sou o' introduce only a capitalised name", () => {
  assert.equal(findStatedName("Oi, aqui é o endereço da casa da minha Mãe"), undefined);
  assert.equal(findStatedName("Sou o cara da Padaria Central"), undefined);
  assert.equal(findStatedName("aqui é o joão")?.name, "João", "all in lowercase: any word may be a name");
  assert.equal(extractName("Boa tarde, sou a fernanda, moro em Recife"), "Fernanda", "asked for, any case");
});
