/**
 * Folded Portuguese function words (articles, prepositions, pronouns, auxiliaries): searching them
 * adds noise. Close to PostgreSQL's 'portuguese' stop list, without accents, because customers
 * type without them.
 */
export const STOP_WORDS = new Set(
  (
    "a o as os ao aos de da do das dos e em no na nos nas num numa um uma uns umas para pra pro por " +
    "pelo pela pelos pelas com sem que se mais menos ou ja nao sim eu me mim lhe nos vos ele ela eles " +
    "elas voce voces seu sua seus suas meu minha meus minhas nosso nossa teu tua isso isto este esta " +
    "esse essa aquele aquela aquilo la ai aqui ali entre ate sobre como quando onde porque pois mas " +
    "tambem so muito muita muitos muitas tudo todo toda todos todas algum alguma nada ser e sao foi " +
    "era estar esta estao estou estava ter tem tenho tinha ha hei havia vai vou vao ir fica ficar " +
    "fazer faz faco feito quem qual quais quanto quanta quantos quantas o que ne entao tipo assim coisa " +
    "mesmo mesma cada outro outra outros outras qualquer depois antes agora ainda tao bem"
  ).split(" "),
);

/**
 * How customers frame a question on WhatsApp ("queria saber", "consigo", "alguém"): not stop words
 * in general, but they say nothing about which page answers. Folded.
 */
export const QUESTION_FILLERS = new Set(
  (
    "posso pode podem poderia preciso precisa precisam precisaria devo deve sei saber queria quero " +
    "gostaria ver seria oi ola bom boa dia tarde noite obrigado obrigada favor duvida pergunta alguem " +
    "gente dai consigo conseguir consegue existe existem da de dar vcs voces moca moco amigo amiga " +
    "senhor senhora mano meu rei uai oxe egua visse po kkk kkkk kkkkk rs haha falar dizer fala diz " +
    "explica explicar entendi entender sabe sabem informar informacao info tudo moro mora moramos " +
    "morando reais real"
  ).split(" "),
);

/**
 * Every form of the modal verbs a customer wraps a question in (querer, poder, dever, precisar,
 * conseguir, gostar de): "se eu quiser sair", "a gente poderia", "vocês conseguiriam". They are a
 * closed class, so their conjugation is matched instead of listing forms; the pages use them too
 * ("se não quiser mais receber…"), which would rank a page by the wrapper instead of the question.
 */
const MODAL_VERB =
  /^(quer(o|es|emos|em|ia|ias|iamos|iam|eria|erias|eriamos|eriam|endo|ido)?|quis(er|ermos|erem|esse|essem|emos|eram)?|queira(s|mos|m)?|pos(so|sa|sas|samos|sam)|pod(e|es|emos|em|ia|ias|iamos|iam|eria|erias|eriamos|eriam|endo|ido)|pud(e|er|ermos|erem|esse|essem|emos|eram)|dev(o|e|es|emos|em|ia|iam|eria|eriam|ido|endo)|precis(o|a|as|amos|am|ava|ei|ou|aria|ariam|ando|e|em|asse|ar)|consig(o|a|as|amos|am)|consegu(e|es|imos|em|ia|iam|iria|iriam|i|iu|ir|indo)|gost(aria|ariamos|ariam))$/;

/**
 * The conjugation of the auxiliary verbs (ser, estar, ter, haver, ir, dar, vir): "sou de Feira",
 * "vocês dão desconto?", "se eu tiver", "a conta vem 300". Grammar, not content. Folded.
 */
const AUXILIARY_FORMS = new Set(
  (
    "sou es somos sois eram fui foste fomos foram seja sejam sejamos fosse fossem for forem formos " +
    "sera serao seria seriam sendo sido estas estamos estavam estive esteve estivemos estiveram " +
    "estiver estiverem esteja estejam estivesse estaria estando estado tens temos tinham tive teve " +
    "tivemos tiveram tiver tiverem tenha tenham tivesse teria teriam tendo tido houve houver haja " +
    "vamos ia iam irei ira iremos irao iria iriam indo dou das dao damos dei deu demos deram daria " +
    "dariam dando der derem desse vem venho vinha vinham veio vieram vindo vier vierem viria"
  ).split(" "),
);

/** A content word: not a stop word nor a question filler, at least 3 letters or a number. */
export function isContentWord(folded: string): boolean {
  if (/^\d+$/.test(folded)) return true;
  return (
    folded.length >= 3 &&
    !STOP_WORDS.has(folded) &&
    !QUESTION_FILLERS.has(folded) &&
    !AUXILIARY_FORMS.has(folded) &&
    !MODAL_VERB.test(folded)
  );
}
