"""Fixed Danish text and reference tables the demo seeder (data/demo.py) draws from.

Only constants live here: no I/O, no randomness. The seeder picks from these lists with a
seeded `random.Random`, so the same code always yields the same demo.
"""

from __future__ import annotations

# --- Statens Administration itself -------------------------------------------------------------

SA_CVR = "33391005"
SA_NAME = "Statens Administration"
SA_ADDRESS = "Arenalvej 33, 5800 Hjørring"
SA_EAN = "5798000010703"
SA_MAIL_DOMAIN = "statens-adm.dk"
SUPPORT_EMAIL = "kundeportal@statens-adm.dk"

# --- ministry areas (number = the Finance Act paragraph) ---------------------------------------

MINISTRIES: tuple[tuple[int, str], ...] = (
    (5, "Statsministeriet"),
    (7, "Finansministeriet"),
    (8, "Erhvervsministeriet"),
    (9, "Skatteministeriet"),
    (11, "Justitsministeriet"),
    (15, "Social- og Boligministeriet"),
    (16, "Indenrigs- og Sundhedsministeriet"),
    (17, "Beskæftigelsesministeriet"),
    (19, "Uddannelses- og Forskningsministeriet"),
    (20, "Børne- og Undervisningsministeriet"),
    (21, "Kulturministeriet"),
    (23, "Miljøministeriet"),
    (24, "Ministeriet for Fødevarer, Landbrug og Fiskeri"),
    (28, "Transportministeriet"),
    (29, "Klima-, Energi- og Forsyningsministeriet"),
)

# --- customers: (name, short name for units/domains, ministry number, description) ------------
# The first three are the "demo customers" the demo accounts work on (richer content).

CUSTOMERS: tuple[tuple[str, str, int, str], ...] = (
    (SA_NAME, "SA", 7, "Statens administrative fællesskab for regnskab, løn og refusion."),
    ("Økonomistyrelsen", "OES", 7, "Styrelse for statens økonomistyring, regnskab og løn."),
    ("Digitaliseringsstyrelsen", "DIGST", 7, "Styrelse for digitalisering af den offentlige sektor."),
    ("Finansministeriets departement", "FM", 7, ""),
    ("Statens It", "STATENSIT", 7, "Fælles it-drift for statslige institutioner."),
    ("Statsministeriet", "STM", 5, ""),
    ("Erhvervsstyrelsen", "ERST", 8, ""),
    ("Sikkerhedsstyrelsen", "SIK", 8, ""),
    ("Søfartsstyrelsen", "DMA", 8, ""),
    ("Patent- og Varemærkestyrelsen", "DKPTO", 8, ""),
    ("Konkurrence- og Forbrugerstyrelsen", "KFST", 8, ""),
    ("Spillemyndigheden", "SPIL", 9, ""),
    ("Domstolsstyrelsen", "DOMST", 11, ""),
    ("Civilstyrelsen", "CIVST", 11, ""),
    ("Datatilsynet", "DATAT", 11, ""),
    ("Den Uafhængige Politiklagemyndighed", "DUP", 11, ""),
    ("Ankestyrelsen", "AST", 15, ""),
    ("Social- og Boligstyrelsen", "SBST", 15, ""),
    ("Sundhedsstyrelsen", "SST", 16, ""),
    ("Lægemiddelstyrelsen", "LMST", 16, ""),
    ("Styrelsen for Patientsikkerhed", "STPS", 16, ""),
    ("Sundhedsdatastyrelsen", "SDS", 16, ""),
    ("Statens Serum Institut", "SSI", 16, "Sektorforskningsinstitution under Indenrigs- og Sundhedsministeriet."),
    ("VIVE – Det Nationale Forsknings- og Analysecenter for Velfærd", "VIVE", 16, ""),
    ("Arbejdstilsynet", "AT", 17, ""),
    ("Styrelsen for Arbejdsmarked og Rekruttering", "STAR", 17, ""),
    ("Uddannelses- og Forskningsstyrelsen", "UFS", 19, ""),
    ("IT-Universitetet i København", "ITU", 19, "Universitet med fokus på it-forskning og -uddannelse."),
    ("Roskilde Universitet", "RUC", 19, ""),
    ("Styrelsen for Undervisning og Kvalitet", "STUK", 20, ""),
    ("Styrelsen for It og Læring", "STIL", 20, ""),
    ("Danmarks Evalueringsinstitut", "EVA", 20, ""),
    ("Slots- og Kulturstyrelsen", "SLKS", 21, ""),
    ("Det Kgl. Bibliotek", "KB", 21, ""),
    ("Statens Museum for Kunst", "SMK", 21, ""),
    ("Rigsarkivet", "RA", 21, ""),
    ("Det Jyske Musikkonservatorium", "DJM", 21, "Videregående kunstnerisk uddannelsesinstitution."),
    ("Miljøstyrelsen", "MST", 23, ""),
    ("Naturstyrelsen", "NST", 23, ""),
    ("Landbrugsstyrelsen", "LBST", 24, ""),
    ("Fødevarestyrelsen", "FVST", 24, ""),
    ("Fiskeristyrelsen", "FISK", 24, ""),
    ("Færdselsstyrelsen", "FSTS", 28, ""),
    ("Vejdirektoratet", "VD", 28, ""),
    ("Energistyrelsen", "ENS", 29, ""),
    ("Center for Energibesparelser", "CEB", 29, "Videnscenter under Energistyrelsen."),
)

STREETS: tuple[str, ...] = (
    "Landgreven", "Amaliegade", "Holmens Kanal", "Slotsholmsgade", "Borgergade", "Nyropsgade",
    "Kalvebod Brygge", "Carsten Niebuhrs Gade", "Islands Brygge", "Vesterbrogade", "Stormgade",
    "Frederiksborggade", "Vester Voldgade", "Rued Langgaards Vej", "Universitetsvej", "Nørregade",
    "Finsensvej", "Axeltorv", "Dampfærgevej", "Havnegade", "Sankt Annæ Plads", "Tøndergade",
)
CITIES: tuple[str, ...] = (
    "1301 København K", "1256 København K", "1060 København K", "1216 København K", "1560 København V",
    "2300 København S", "2100 København Ø", "2200 København N", "2000 Frederiksberg", "4000 Roskilde",
    "5000 Odense C", "8000 Aarhus C", "9000 Aalborg", "6700 Esbjerg", "7100 Vejle", "8800 Viborg",
)

# --- people --------------------------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = (
    "Anne", "Mette", "Hanne", "Susanne", "Camilla", "Louise", "Maria", "Julie", "Sofie", "Karina",
    "Lone", "Birgitte", "Charlotte", "Helle", "Pia", "Trine", "Signe", "Katrine", "Ida", "Marianne",
    "Lars", "Jens", "Peter", "Michael", "Henrik", "Søren", "Thomas", "Martin", "Jesper", "Anders",
    "Rasmus", "Morten", "Mads", "Christian", "Kasper", "Niels", "Jakob", "Frederik", "Torben", "Ole",
)
LAST_NAMES: tuple[str, ...] = (
    "Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen",
    "Johansen", "Møller", "Mortensen", "Knudsen", "Holm", "Lund", "Bach", "Dahl", "Kjær", "Østergaard",
    "Vestergaard", "Frandsen", "Skov", "Bøgh",
)

CONTACT_TITLES: tuple[str, ...] = (
    "Kontorchef", "Økonomichef", "Regnskabschef", "Områdechef", "Chefkonsulent", "Specialkonsulent",
    "Fuldmægtig", "Bogholder", "HR-medarbejder", "Lønkonsulent", "HR-partner", "Controller",
    "Administrationschef", "Databeskyttelsesrådgiver",
)

# SA's own team for a customer (Kontakt dit team): role label and how many from the pool.
TEAM_ROLES: tuple[str, ...] = (
    "Kundeansvarlig", "Teamleder, Regnskab", "Regnskabskonsulent", "Teamleder, Løn", "Lønkonsulent",
    "Refusionsmedarbejder",
)

SA_SIGNERS: tuple[str, ...] = ("Marianne Skov Holm", "Torben Vestergaard")

# --- service-goal units and runbooks ---------------------------------------------------------

ACCOUNTING_UNIT_SUFFIXES: tuple[str, ...] = ("Drift", "Projekter", "Tilskud", "Indtægtsdækket virksomhed")
PAYROLL_GROUP_SUFFIXES: tuple[str, ...] = ("Løn", "Timelønnede")

RUNBOOK_SECTIONS: dict[str, tuple[str, ...]] = {
    "Regnskab": ("Finans", "Kreditor"),
    "Løn": ("Afrapportering", "Afstemning", "Løn", "mTime"),
    "Refusion": ("Afstemning", "Kontering", "Virklister", "Refusion"),
}

# (deviation, description) per section: "Særlige opmærksomhedspunkter".
RUNBOOK_POINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Finans": (
        ("Periodisering af husleje", "Husleje for 1. kvartal periodiseres manuelt på kontoniveau i januar."),
        ("Særskilt projektregnskab", "Projekter med ekstern finansiering konteres med projektnummer i dimension 3."),
        ("Ingen automatisk afstemning af bank", "Bankkontoen afstemmes manuelt, da kunden har to kontoudtog pr. dag."),
        ("Momsrefusion", "Kunden er omfattet af momsrefusionsordningen; momskode RM anvendes på alle køb."),
    ),
    "Kreditor": (
        ("Fakturaer over 50.000 kr.", "Fakturaer over 50.000 kr. godkendes af kontorchef inden betaling."),
        ("Udenlandske leverandører", "Betaling til udlandet sker via SWIFT; valutakurs fra betalingsdagen anvendes."),
        ("Rammeaftaler", "Indkøb på SKI-aftaler kontrolleres mod aftalepris før bogføring."),
        ("Kreditnotaer", "Kreditnotaer modregnes først, når den oprindelige faktura er bogført."),
    ),
    "Afrapportering": (
        ("Ledelsesrapport", "Ledelsesrapporten sendes til HR-chef senest 3 arbejdsdage efter lønkørsel."),
        ("Fraværsstatistik", "Fraværsstatistik leveres kvartalsvis i Excel-format."),
    ),
    "Afstemning": (
        ("Beholdningskonti", "Beholdningskonti for ferie og særlig feriegodtgørelse afstemmes månedligt."),
        ("Differencer over 1.000 kr.", "Differencer over 1.000 kr. forelægges kunden med forslag til korrektion."),
    ),
    "Løn": (
        ("Engangsvederlag", "Engangsvederlag indberettes senest 10. i måneden for at nå den ordinære lønkørsel."),
        ("Funktionstillæg", "Funktionstillæg kræver underskrevet tillægsaftale fra kunden."),
        ("Fratrædelser", "Ved fratrædelse midt i måneden beregnes løn forholdsmæssigt efter kalenderdage."),
    ),
    "mTime": (
        ("Flekstidsregler", "Kunden anvender flekstid med plus/minus 25 timer; saldo overføres ved årsskifte."),
        ("Overarbejde", "Overarbejde udbetales kun efter godkendelse fra nærmeste leder i mTime."),
    ),
    "Kontering": (
        ("Refusion på formålskonto", "Refusioner konteres på den formålskonto, lønnen blev udgiftsført på."),
        ("Delvis refusion", "Ved delvis refusion konteres restbeløbet som tab på refusion."),
    ),
    "Virklister": (
        ("Virkliste fra NemRefusion", "Virklisten hentes ugentligt og gennemgås for afviste anmodninger."),
        ("Afviste anmodninger", "Afviste anmodninger sendes til kundens kontaktperson for refusion."),
    ),
    "Refusion": (
        ("Sygedagpenge", "Anmodning om sygedagpengerefusion sendes, når sygefraværet overstiger 30 dage."),
        ("Barselsrefusion", "Barselsrefusion anmodes via NemRefusion inden for fristen på 90 dage."),
        ("Fleksjob", "Refusion for fleksjob anmodes hos kommunen kvartalsvis."),
    ),
}

# (task, description, frequency) per section: "Opgaver".
RUNBOOK_TASKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Finans": (
        ("Bankafstemning", "Afstem bankkonti mod kontoudtog og bogfør differencer.", "Dagligt"),
        ("Periodeafslutning", "Luk perioden i Navision Stat efter review hos kunden.", "Månedligt"),
        ("Afstemning af mellemregninger", "Afstem mellemregningskonti med andre institutioner.", "Månedligt"),
        ("Årsafslutning", "Udarbejd årsafslutningsbilag og send til kunden til godkendelse.", "Årligt"),
        ("Momsafregning", "Opgør og afregn moms til Skattestyrelsen.", "Kvartalsvis"),
    ),
    "Kreditor": (
        ("Bogføring af fakturaer", "Bogfør e-fakturaer fra IndFak, når de er godkendt af kunden.", "Dagligt"),
        ("Betalingskørsel", "Gennemfør betalingskørsel for forfaldne fakturaer.", "Dagligt"),
        ("Kreditorafstemning", "Afstem kreditorkonti mod saldobalance.", "Månedligt"),
        ("Oprettelse af kreditorer", "Opret nye kreditorer efter kontrol af CVR og bankoplysninger.", "Løbende"),
    ),
    "Afrapportering": (
        ("Lønrapport", "Send lønrapport fra LDV til kundens kontaktperson.", "Månedligt"),
        ("Budgetopfølgning løn", "Lever data til kundens budgetopfølgning på lønområdet.", "Kvartalsvis"),
    ),
    "Afstemning": (
        ("Afstemning af lønkonti", "Afstem lønkonti i Navision Stat mod SLS-udtræk.", "Månedligt"),
        ("Afstemning af feriepenge", "Afstem feriepengeforpligtelse mod beholdningskonto.", "Kvartalsvis"),
    ),
    "Løn": (
        ("Lønkørsel", "Gennemfør ordinær lønkørsel i SLS.", "Månedligt"),
        ("Indberetning af ændringer", "Indberet ansættelser, fratrædelser og tillæg i SLS.", "Løbende"),
        ("Kontrol af lønsedler", "Stikprøvekontrol af lønsedler efter lønkørsel.", "Månedligt"),
    ),
    "mTime": (
        ("Overførsel fra mTime", "Overfør godkendte registreringer fra mTime til SLS.", "Månedligt"),
        ("Saldokontrol", "Kontroller flekssaldi over grænseværdien og orienter kunden.", "Kvartalsvis"),
    ),
    "Kontering": (
        ("Kontering af refusioner", "Konter modtagne refusioner i Navision Stat.", "Ugentligt"),
    ),
    "Virklister": (
        ("Gennemgang af virkliste", "Gennemgå virklisten og følg op på åbne sager.", "Ugentligt"),
    ),
    "Refusion": (
        ("Anmodning om refusion", "Anmod om refusion via NemRefusion for fravær med ret til refusion.", "Løbende"),
        ("Opfølgning på udbetaling", "Følg op på udbetalte refusioner mod anmodninger.", "Månedligt"),
    ),
}

# --- agreements and their parts ----------------------------------------------------------------

EXEMPTIONS: tuple[tuple[str, str], ...] = (
    ("Manuel fakturagodkendelse", "Kunden godkender fakturaer manuelt uden for IndFak i en overgangsperiode."),
    ("Fravigelse af betalingsfrist", "Betaling sker med 45 dages frist for udvalgte leverandører."),
    ("Egen lønkørsel for timelønnede", "Kunden indberetter selv timeløn via regneark i stedet for mTime."),
    ("Udsat periodeafslutning", "Periodeafslutning i juli udskydes til den 25. på grund af sommerferie."),
    ("Papirbilag", "Kunden må indsende papirbilag for rejseafregninger fra udlandet."),
)

ADD_ONS: tuple[tuple[str, str], ...] = (
    ("Anlægsregistrering", "SA registrerer og afskriver kundens anlægsaktiver."),
    ("Budgetunderstøttelse", "Månedlig budgetopfølgning og prognose i samarbejde med kunden."),
    ("Ledelsesinformation", "Kvartalsvis ledelsesrapport med nøgletal for økonomi og personale."),
    ("Projektøkonomi", "Opfølgning på eksternt finansierede projekter med projektregnskab."),
    ("Rejseadministration", "Udvidet kontrol og afregning af rejser i RejsUd."),
    ("Indkøbsanalyse", "Halvårlig analyse af indkøb og brug af statslige indkøbsaftaler."),
)

THIRD_PARTY_AGENCIES: dict[str, tuple[str, ...]] = {
    "Regnskab": ("Koncernøkonomi, departementet", "Fælles Økonomiservice", "Regnskabscentret"),
    "Løn": ("Koncern HR, departementet", "HR-servicecentret", "Fælles Lønservice"),
}

# --- meetings and action items -------------------------------------------------------------------

MEETING_KINDS: tuple[str, ...] = ("Driftsmøde", "Kundemøde", "Årsafslutningsmøde", "Statusmøde løn")

AGENDA_ITEMS: tuple[str, ...] = (
    "Godkendelse af dagsorden",
    "Opfølgning på referat fra sidste møde",
    "Status på servicemål",
    "Gennemgang af aktionslisten",
    "Årsafslutning og tidsplan",
    "Ændringer i drejebøger",
    "Nyt fra Statens Administration",
    "Eventuelt",
)

ACTION_SUBJECTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Regnskab": (
        ("Afstemning af mellemregningskonto", "Afstemning"),
        ("Differencer på kreditorkonti", "Kreditor"),
        ("Oprydning i åbne poster", "Debitor"),
        ("Ny kontoplan fra 1. januar", "Finans"),
        ("Periodisering af projektudgifter", "Finans"),
        ("Registrering af anlæg", "Anlæg"),
        ("Årsafslutning: tidsplan og bilag", "Årsafslutning"),
        ("Fakturaer uden ordrenummer", "Kreditor"),
    ),
    "Løn": (
        ("Fejl i feriepengeberegning", "Lønudbetaling"),
        ("Manglende refusion for barsel", "Refusion"),
        ("Opdatering af tillægsaftaler", "Lønudbetaling"),
        ("Afrapportering til ledelsen", "Afrapportering"),
        ("Flekssaldi over grænsen", "mTime"),
        ("Afstemning af beholdningskonti", "Afstemning"),
        ("Ferieafholdelse og overførsel", "Ferie"),
    ),
}
OPEN_STATUSES: tuple[str, ...] = ("Åben", "I gang", "Afventer kunde", "Afventer SA")
CLOSED_STATUS = "Afsluttet"
STATUS_DETAILS: dict[str, tuple[str, ...]] = {
    "Åben": ("Ikke påbegyndt.", "Aftalt på seneste driftsmøde."),
    "I gang": ("SA er i gang med analysen.", "Første udkast er sendt til kunden."),
    "Afventer kunde": ("Afventer dokumentation fra kunden.", "Kunden vender tilbage efter intern afklaring."),
    "Afventer SA": ("SA undersøger sagen med leverandøren.", "Afventer svar fra SA's systemteam."),
    "Afsluttet": ("Løst og bekræftet af kunden.", "Afsluttet på driftsmødet."),
}

# Demo passwords: three words and a number, easy to type and long enough for the policy.
PASSWORD_WORDS: tuple[str, ...] = (
    "fyrtaarn", "lakrids", "havbrise", "klitrose", "kompas", "skibsklokke", "hyldebaer", "solsikke",
    "regnbue", "bogstav", "vindmolle", "rugbroed", "skovsti", "isbjerg", "kobberhat", "sandslot",
    "trappeloeb", "maagevinge", "postkasse", "bybrise",
)
